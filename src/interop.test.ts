import { describe, expect, it } from 'vitest';
import { commonJs } from './interop.js';

describe('commonJs: the exports of a CommonJS package, however import() gave them', () => {
  const exports = { parse: () => 'parsed' };
  it.each([
    ['named, as Node gives them', { ...exports, default: exports }],
    ['only as the default, as a bundle may', { default: exports } as unknown as typeof exports & { default?: typeof exports }],
    ['named, without a default', exports],
  ])('%s', (_how, loaded) => {
    expect(commonJs(loaded, 'parse').parse()).toBe('parsed');
  });
});
