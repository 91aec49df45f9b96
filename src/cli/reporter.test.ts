import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PlainReporter } from './reporter.js';

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({ write: (c, _e, done) => (chunks.push(String(c)), done()) });
  return { stream, text: () => chunks.join('') };
}

describe('PlainReporter.progress', () => {
  it('prints at most one plain line per interval, never a control sequence', () => {
    const out = sink();
    let t = 0;
    const r = new PlainReporter({
      stream: out.stream,
      verbose: false,
      quiet: false,
      timestamps: false,
      progressIntervalMs: 10_000,
      now: () => new Date(t),
    });
    for (t = 0; t <= 25_000; t += 1000) r.progress(`p ${t}`);
    expect(out.text()).toBe('werf-run: p 10000\nwerf-run: p 20000\n');
  });
  it('prints nothing with --quiet', () => {
    const out = sink();
    let t = 0;
    const r = new PlainReporter({ stream: out.stream, verbose: false, quiet: true, timestamps: false, now: () => new Date((t += 60_000)) });
    r.progress('x');
    r.progress('y');
    expect(out.text()).toBe('');
  });
});
