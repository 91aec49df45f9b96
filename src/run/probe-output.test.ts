/** The probe's output collector keeps at most its limit and counts what it dropped (probe.ts). */
import { describe, expect, it } from 'vitest';
import { Collect, PROBE_OUTPUT_LIMIT_BYTES, probeOutputTooBig } from './probe.js';

const write = (out: Collect, chunk: string | Buffer): Promise<void> =>
  new Promise((resolve, reject) => out.write(chunk, (error) => (error ? reject(error) : resolve())));

describe('Collect', () => {
  it('keeps everything up to the limit', async () => {
    const out = new Collect(10);
    await write(out, 'abc');
    await write(out, 'defghij');
    expect(out.text).toBe('abcdefghij');
    expect(out.dropped).toBe(0);
  });

  it('past the limit: the first bytes kept, the rest counted, not stored', async () => {
    const out = new Collect(10);
    await write(out, 'abcdefgh');
    await write(out, 'ijklmn');
    await write(out, Buffer.alloc(1000));
    expect(out.text).toBe('abcdefghij');
    expect(out.dropped).toBe(4 + 1000);
  });

  it('the default limit is 1 MiB', () => {
    expect(PROBE_OUTPUT_LIMIT_BYTES).toBe(1 << 20);
  });
});

describe('probeOutputTooBig', () => {
  it('names the image, what was dropped, the limit and what to check (quoted for a shell)', () => {
    const error = probeOutputTooBig("reg.example/w'erf:2", 5);
    expect(error.message).toBe(
      `a probe container of reg.example/w'erf:2 printed 5 bytes more than werf-run's limit of 1048576 bytes (1 MiB) for it; check the image's sh (docker run --rm --entrypoint sh 'reg.example/w'\\''erf:2' -c true prints nothing) and the image werf-run uses`,
    );
    expect(error.remedy).toContain("docker run --rm --entrypoint sh 'reg.example/w'\\''erf:2' -c true");
  });
});
