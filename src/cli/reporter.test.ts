import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PlainReporter } from './reporter.js';

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({ write: (c, _e, done) => (chunks.push(String(c)), done()) });
  return { stream, text: () => chunks.join('') };
}

describe('PlainReporter.progress', () => {
  it('on a terminal redraws one line in place and clears it before the next message', () => {
    const out = sink();
    const r = new PlainReporter({ stream: out.stream, verbose: false, quiet: false, timestamps: false, live: true });
    r.progress('pulling x: 0/2 layers');
    r.progress('pulling x: 1/2 layers');
    r.info('pulled x');
    expect(out.text()).toBe('\r\x1b[Kwerf-run: pulling x: 0/2 layers\r\x1b[Kwerf-run: pulling x: 1/2 layers\r\x1b[Kwerf-run: pulled x\n');
  });
  it('in CI prints at most one plain line per interval', () => {
    const out = sink();
    let t = 0;
    const r = new PlainReporter({ stream: out.stream, verbose: false, quiet: false, timestamps: false, progressIntervalMs: 10_000, now: () => new Date(t) });
    for (t = 0; t <= 25_000; t += 1000) r.progress(`p ${t}`);
    expect(out.text()).toBe('werf-run: p 10000\nwerf-run: p 20000\n');
  });
  it('prints nothing with --quiet', () => {
    const out = sink();
    const r = new PlainReporter({ stream: out.stream, verbose: false, quiet: true, timestamps: false, live: true });
    r.progress('x');
    expect(out.text()).toBe('');
  });
});
