import { describe, expect, it } from 'vitest';
import { Preamble } from './preamble.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('Preamble', () => {
  it('keeps the lines before the end line and passes on what follows it in the same chunk', () => {
    const p = new Preamble('END');
    expect(p.push(b('a 1\nb 2\n'))).toEqual({ pass: b(''), ended: false });
    const r = p.push(b('c 3\nEND\nwerf says hi\n'));
    expect(r.ended).toBe(true);
    expect(r.pass.toString()).toBe('werf says hi\n');
    expect(p.lines).toEqual(['a 1', 'b 2', 'c 3']);
    expect(p.push(b('more\n'))).toEqual({ pass: b('more\n'), ended: false });
  });

  it('joins lines split across chunks, the end line too', () => {
    const p = new Preamble('werf-run-probe-end');
    p.push(b('userns y'));
    p.push(b('es ok\nwerf-run-pro'));
    const r = p.push(b('be-end\r\nrest'));
    expect(r).toEqual({ pass: b('rest'), ended: true });
    expect(p.lines).toEqual(['userns yes ok']);
  });

  it('is not fooled by the end text inside a line', () => {
    const p = new Preamble('END');
    expect(p.push(b('not END\nEND \n')).ended).toBe(false);
    expect(p.lines).toEqual(['not END', 'END ']);
  });
});
