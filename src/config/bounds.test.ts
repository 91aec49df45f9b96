import { describe, expect, it } from 'vitest';
import { assertBounded, MAX_DEPTH, MAX_VALUES } from './bounds.js';

describe('assertBounded', () => {
  it('passes a real config', () => {
    expect(() =>
      assertBounded({ image: { channel: 'ea' }, mounts: [{ source: 'a', target: '/a' }], env: { set: { A: 'b' } } }, 'f'),
    ).not.toThrow();
  });

  it('refuses nesting deeper than the limit, naming where', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i += 1) deep = [deep];
    expect(() => assertBounded(deep, '/p/deep.json')).toThrow(
      new RegExp(`^config /p/deep.json nests deeper than ${MAX_DEPTH} levels \\(at \\[0\\]\\[0\\]`),
    );
  });

  it('counts a shared (aliased) value each time it is reached: a billion laughs stops early', () => {
    let level: unknown = ['lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol'];
    for (let i = 0; i < 8; i += 1) level = Array.from({ length: 9 }, () => level);
    const started = Date.now();
    expect(() => assertBounded({ i: level }, 'bomb.yaml')).toThrow(`config bomb.yaml holds more than ${MAX_VALUES} values`);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
