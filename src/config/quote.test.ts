import { describe, expect, it } from 'vitest';
import { capText, quoteCapped } from './quote.js';

describe('quoteCapped', () => {
  it('quotes JSON with secrets masked', () => {
    expect(quoteCapped({ a: 1, token: 'x', url: 'https://u:pw@h/' })).toBe('{"a":1,"token":"<redacted>","url":"https://u:<redacted>@h/"}');
  });

  it('stops early on a huge value, and caps a long one', () => {
    const wide = Array.from({ length: 1_000_000 }, (_, i) => i);
    const started = Date.now();
    const text = quoteCapped(wide);
    expect(Date.now() - started).toBeLessThan(500);
    expect(text.length).toBeLessThanOrEqual(201);
    expect(text.endsWith('…')).toBe(true);
  });

  it('a structure deeper than the stack is cut, not a crash', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i += 1) deep = { a: deep };
    expect(quoteCapped(deep).length).toBeLessThanOrEqual(201);
  });

  it('capText says how much it left out', () => {
    expect(capText('x'.repeat(250))).toBe(`${'x'.repeat(200)}… (50 more characters)`);
    expect(capText('short')).toBe('short');
  });
});
