import { describe, expect, it } from 'vitest';
import { PassThrough, Writable } from 'node:stream';
import { pumpMultiplexed } from './demux.js';

function frame(type: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

function sink(highWaterMark = 16): Writable & { data: Buffer[] } {
  const data: Buffer[] = [];
  const w = new Writable({
    highWaterMark,
    write(chunk, _enc, cb) {
      data.push(chunk);
      setImmediate(cb);
    },
  });
  return Object.assign(w, { data });
}

async function* chunks(buffer: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buffer.length; i += size) yield buffer.subarray(i, i + size);
}

describe('pumpMultiplexed', () => {
  it('splits frames to stdout and stderr byte for byte, whatever the chunking', async () => {
    const input = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'last line without newline')]);
    for (const size of [1, 3, 7, 64]) {
      const stdout = sink();
      const stderr = sink();
      const seen: string[] = [];
      await pumpMultiplexed(chunks(input, size), { stdout, stderr }, (name, c) => seen.push(`${name}:${c}`));
      expect(Buffer.concat(stdout.data).toString()).toBe('out 1\nlast line without newline');
      expect(Buffer.concat(stderr.data).toString()).toBe('err 1\n');
      expect(seen.join('')).toBe('stdout:out 1\nstderr:err 1\nstdout:last line without newline');
    }
  });

  it('waits for a full sink to drain before reading on', async () => {
    const source = new PassThrough();
    const stdout = sink(1);
    const stderr = sink(1);
    const done = pumpMultiplexed(source, { stdout, stderr }, () => undefined);
    for (let i = 0; i < 100; i++) source.write(frame(1, `line ${i}\n`));
    source.end();
    await done;
    expect(Buffer.concat(stdout.data).toString().split('\n')).toHaveLength(101);
  });
});

describe('a sink whose reader went away', () => {
  it('is told once, by name, while the other stream keeps flowing and the source is drained', async () => {
    const stdout = sink();
    const stderr = sink();
    stdout.destroy();
    const closed: string[] = [];
    const source = Buffer.concat([frame(1, 'a\n'), frame(2, 'err-1\n'), frame(1, 'b\n'), frame(2, 'err-2\n')]);
    await pumpMultiplexed(
      chunks(source, 5),
      { stdout, stderr },
      () => undefined,
      (name) => closed.push(name),
    );
    expect(closed).toEqual(['stdout']);
    await new Promise((resolve) => stderr.end(resolve));
    expect(Buffer.concat(stderr.data).toString()).toBe('err-1\nerr-2\n');
  });
});
