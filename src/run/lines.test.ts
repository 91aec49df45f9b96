import { describe, expect, it } from 'vitest';
import { LineSplitter } from './lines.js';

describe('LineSplitter', () => {
  it('returns complete lines and keeps the partial one until flushed', () => {
    const s = new LineSplitter();
    expect(s.push('a\nb')).toEqual(['a']);
    expect(s.push('c\r\nd')).toEqual(['bc']);
    expect(s.flush()).toEqual(['d']);
    expect(s.flush()).toEqual([]);
  });
  it('bounds the memory a line without end can take', () => {
    const s = new LineSplitter(10);
    s.push('x'.repeat(1000));
    expect(s.flush()[0]).toHaveLength(10);
  });
});
