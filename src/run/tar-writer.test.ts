/**
 * The ship's tar writer read back by tar-stream's extract (another
 * implementation of the format): names short and long (pax), links long,
 * UTF-8, empty files, files read from disk across buffer boundaries, sizes
 * that change under it; the buffers emitted are full ones but the last.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TarWriter, type TarHeader } from './tar-writer.js';
import { readTar } from './tar.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-tar-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = { mode: 0o644, uid: 1000, gid: 1000, mtime: 1_700_000_000 };

async function written(chunkBytes: number, fill: (w: TarWriter) => Promise<void>): Promise<{ tar: Buffer; chunks: number[] }> {
  const chunks: Buffer[] = [];
  const w = new TarWriter((c) => void chunks.push(Buffer.from(c)), chunkBytes);
  await fill(w);
  await w.end();
  return { tar: Buffer.concat(chunks), chunks: chunks.map((c) => c.length) };
}

describe('TarWriter', () => {
  it('writes entries tar-stream reads back: short and long names, long links, UTF-8, empty and disk files', async () => {
    const longName = `0/${'deep/'.repeat(30)}file-with-a-long-name.txt`;
    const longLink = `../${'x'.repeat(150)}`;
    const bigPath = path.join(dir, 'big.bin');
    const big = Buffer.alloc(5000, 7);
    writeFileSync(bigPath, big);
    const hash = createHash('sha256');
    const { tar, chunks } = await written(1024, async (w) => {
      await w.entry({ ...base, name: '0/', type: 'directory', mode: 0o755 });
      await w.file({ ...base, name: '0/a.txt', type: 'file' }, Buffer.from('hello\n'));
      await w.file({ ...base, name: '0/empty', type: 'file' }, Buffer.alloc(0));
      await w.file({ ...base, name: longName, type: 'file', mode: 0o755 }, Buffer.from('long\n'));
      await w.file({ ...base, name: '0/ünïcödé.txt', type: 'file' }, Buffer.from('u'));
      await w.entry({ ...base, name: '0/link', type: 'symlink', linkname: longLink });
      await w.fileFrom({ ...base, name: '0/big.bin', type: 'file', size: big.length }, bigPath, hash, (why) => new Error(why));
    });
    expect(tar.length % 512).toBe(0);
    expect(chunks.slice(0, -1).every((n) => n === 1024)).toBe(true);
    const entries = await readTar(tar);
    expect(entries.map((e) => [e.header.name, e.header.type])).toEqual([
      ['0/', 'directory'],
      ['0/a.txt', 'file'],
      ['0/empty', 'file'],
      [longName, 'file'],
      ['0/ünïcödé.txt', 'file'],
      ['0/link', 'symlink'],
      ['0/big.bin', 'file'],
    ]);
    expect(entries[1]!.content.toString()).toBe('hello\n');
    expect(entries[1]!.header).toMatchObject({ mode: 0o644, uid: 1000, gid: 1000, mtime: new Date(1_700_000_000_000) });
    expect(entries[2]!.content.length).toBe(0);
    expect(entries[3]!.header.mode).toBe(0o755);
    expect(entries[3]!.content.toString()).toBe('long\n');
    expect(entries[5]!.header.linkname).toBe(longLink);
    expect(entries[6]!.content.equals(big)).toBe(true);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
  });

  it("puts a uid too large for the ustar field in a pax record (tar-stream ignores it; Go archive/tar, the engine's, reads it)", async () => {
    const { tar } = await written(4096, (w) => w.file({ ...base, uid: 3_000_000, name: 'f', type: 'file' }, Buffer.from('x')));
    // A pax header block (typeflag x), then its record, the length counting itself, then the file's own header.
    expect(String.fromCharCode(tar[156]!)).toBe('x');
    expect(tar.subarray(512, 527).toString('latin1')).toBe('15 uid=3000000\n');
    const [entry] = await readTar(tar);
    expect(entry!.header.name).toBe('f');
    expect(entry!.content.toString()).toBe('x');
  });

  it('writes a file from an open descriptor as big as it is now, across buffer boundaries, hashing what it wrote', async () => {
    const file = path.join(dir, 'fd.bin');
    const content = Buffer.from(Array.from({ length: 1500 }, (_, i) => i % 251));
    writeFileSync(file, content);
    const fd = openSync(file, 'r');
    const hash = createHash('sha256');
    let size = -1;
    try {
      const { tar } = await written(1024, async (w) => {
        // Its size as looked at, but no room for it in a buffer: read as it is now, across buffers.
        size = await w.fileFromFd({ ...base, name: '0/fd.bin', type: 'file' }, fd, hash, (why) => new Error(why), 1500);
        await w.file({ ...base, name: '0/after.txt', type: 'file' }, Buffer.from('after\n'));
      });
      const entries = await readTar(tar);
      expect(entries.map((e) => [e.header.name, e.header.size, e.content.toString('hex')])).toEqual([
        ['0/fd.bin', 1500, content.toString('hex')],
        ['0/after.txt', 6, Buffer.from('after\n').toString('hex')],
      ]);
    } finally {
      closeSync(fd);
    }
    expect(size).toBe(1500);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(content).digest('hex'));
  });

  it('writes a small file from its size when looked at: the same tar as from fstat, and as it is now when that size is out of date', async () => {
    const file = path.join(dir, 'small.txt');
    const content = Buffer.from('0123456789'.repeat(70));
    writeFileSync(file, content);
    const tarOf = async (expected: number | undefined): Promise<{ tar: Buffer; size: number; sha: string }> => {
      const fd = openSync(file, 'r');
      const hash = createHash('sha256');
      let size = -1;
      try {
        const { tar } = await written(4096, async (w) => {
          await w.entry({ ...base, name: '0/', type: 'directory', mode: 0o755 });
          size = await w.fileFromFd({ ...base, name: '0/small.txt', type: 'file' }, fd, hash, (why) => new Error(why), expected);
          await w.file({ ...base, name: '0/after.txt', type: 'file' }, Buffer.from('after\n'));
        });
        return { tar, size, sha: hash.digest('hex') };
      } finally {
        closeSync(fd);
      }
    };
    const fromFstat = await tarOf(undefined);
    const sha = createHash('sha256').update(content).digest('hex');
    // Its size as looked at: one read, the same bytes as the fstat's way.
    expect(await tarOf(content.length)).toEqual({ tar: fromFstat.tar, size: 700, sha });
    // Grown or shrunk since: as it is now.
    expect(await tarOf(content.length - 5)).toEqual({ tar: fromFstat.tar, size: 700, sha });
    expect(await tarOf(content.length + 5)).toEqual({ tar: fromFstat.tar, size: 700, sha });
    const entries = await readTar(fromFstat.tar);
    expect(entries.map((e) => [e.header.name, e.content.toString()])).toEqual([
      ['0/', ''],
      ['0/small.txt', content.toString()],
      ['0/after.txt', 'after\n'],
    ]);
  });

  it('refuses a file whose size changed since it was looked at', async () => {
    const file = path.join(dir, 'shrunk');
    writeFileSync(file, 'abc');
    const header: TarHeader & { size: number } = { ...base, name: 'f', type: 'file', size: 10 };
    const changed = (why: string) => new Error(`changed: ${why}`);
    await expect(written(4096, (w) => w.fileFrom(header, file, createHash('sha256'), changed))).rejects.toThrow(
      'changed: it has fewer than the 10 bytes it had',
    );
    await expect(written(4096, (w) => w.fileFrom({ ...header, size: 2 }, file, createHash('sha256'), changed))).rejects.toThrow(
      'changed: it has more than the 2 bytes it had',
    );
  });
});
