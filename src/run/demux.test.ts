import { describe, expect, it } from 'vitest';
import { PassThrough, Writable } from 'node:stream';
import { MAX_FRAME_BYTES, pumpMultiplexed } from './demux.js';
import { WerfRunError } from '../errors.js';

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

describe('a frame header claiming more than the limit', () => {
  it('is refused at the header, before its bytes are buffered; the frames before it were delivered', async () => {
    const huge = Buffer.alloc(8);
    huge[0] = 1;
    huge.writeUInt32BE(0xfffffff0, 4);
    let pulledAfter = 0;
    async function* source(): AsyncGenerator<Buffer> {
      yield frame(1, 'before\n');
      yield huge;
      // A stream that would go on sending the claimed 4 GiB: never read.
      for (;;) {
        pulledAfter++;
        yield Buffer.alloc(1 << 16);
      }
    }
    const stdout = sink();
    const error: unknown = await pumpMultiplexed(source(), { stdout, stderr: sink() }, () => undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WerfRunError);
    expect((error as WerfRunError).message).toBe(
      `the engine's output stream announced a frame of ${0xfffffff0} bytes, more than werf-run's limit of ${MAX_FRAME_BYTES} bytes (16 MiB)`,
    );
    expect((error as WerfRunError).remedy).toMatch(/DOCKER_HOST/);
    expect(pulledAfter).toBe(0);
    expect(Buffer.concat(stdout.data).toString()).toBe('before\n');
  });

  it('a frame of exactly the limit still passes', async () => {
    const stdout = sink(1 << 20);
    const big = Buffer.concat([frame(1, ''), Buffer.alloc(MAX_FRAME_BYTES, 0x61)]);
    big.writeUInt32BE(MAX_FRAME_BYTES, 4);
    await pumpMultiplexed(chunks(big, 1 << 20), { stdout, stderr: sink() }, () => undefined);
    expect(Buffer.concat(stdout.data).length).toBe(MAX_FRAME_BYTES);
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
