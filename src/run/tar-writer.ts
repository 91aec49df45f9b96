/**
 * Writes a POSIX (ustar + pax) tar into large buffers handed to `emit`, for
 * shipping a checkout: headers and contents are copied into one buffer of
 * about a megabyte, which goes out as one write when full.
 *
 * Why not tar-stream's pack, which werf-run uses elsewhere: it makes each
 * entry a stream and pushes its header, content and padding as three chunks
 * through readable-stream, per file; for a 10,000-file checkout that machinery
 * was most of werf-run's CPU time in a first ship (node --cpu-prof), where
 * `tar | docker cp -` spends little. The format is small and fixed
 * (POSIX.1-2001 pax, the ustar header), and tested against tar-stream's
 * extract beside this file and against the engine's own extraction in
 * integration/ship.test.ts.
 */
import type { Hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const BLOCK = 512;

export interface TarHeader {
  name: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Files only. */
  size?: number;
  /** Symlinks only. */
  linkname?: string;
}

const TYPEFLAG = { file: '0', directory: '5', symlink: '2' } as const;

/** Octal, zero-padded, NUL-terminated, into a field of `width` bytes; false when it does not fit. */
function octal(block: Buffer, at: number, width: number, value: number): boolean {
  const text = Math.floor(value).toString(8);
  if (text.length > width - 1 || value < 0) return false;
  block.write(text.padStart(width - 1, '0'), at, 'latin1');
  block[at + width - 1] = 0;
  return true;
}

/** A pax record: "<length> <key>=<value>\n", the length counting itself. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  const restBytes = Buffer.byteLength(rest);
  let length = restBytes + String(restBytes).length;
  if (String(length).length !== String(restBytes).length) length = restBytes + String(length).length;
  return `${length}${rest}`;
}

/** One 512-byte ustar header; the pax records for what does not fit its fields. */
function ustar(h: TarHeader, size: number): { block: Buffer; pax: string } {
  const block = Buffer.alloc(BLOCK);
  let pax = '';
  const name = h.name;
  if (Buffer.byteLength(name) <= 100) block.write(name, 0, 'utf8');
  else {
    pax += paxRecord('path', name);
    block.write(Buffer.from(name).subarray(0, 99).toString('latin1'), 0, 'latin1');
  }
  octal(block, 100, 8, h.mode & 0o7777);
  if (!octal(block, 108, 8, h.uid)) pax += paxRecord('uid', String(h.uid));
  if (!octal(block, 116, 8, h.gid)) pax += paxRecord('gid', String(h.gid));
  if (!octal(block, 124, 12, size)) {
    pax += paxRecord('size', String(size));
    octal(block, 124, 12, 0);
  }
  octal(block, 136, 12, Math.max(0, h.mtime));
  block.write(TYPEFLAG[h.type], 156, 'latin1');
  const link = h.linkname ?? '';
  if (Buffer.byteLength(link) <= 100) block.write(link, 157, 'utf8');
  else pax += paxRecord('linkpath', link);
  block.write('ustar\u000000', 257, 'latin1');
  return { block, pax };
}

function withChecksum(block: Buffer): Buffer {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'latin1');
  return block;
}

export class TarWriter {
  private buffer: Buffer;
  private at = 0;

  /** `emit` gets each full buffer (never touched again); a promise it returns is awaited (the reader's backpressure). */
  constructor(
    private readonly emit: (chunk: Buffer) => Promise<void> | void,
    private readonly chunkBytes = 1024 * 1024,
  ) {
    this.buffer = Buffer.allocUnsafe(chunkBytes);
  }

  private async room(): Promise<void> {
    if (this.at < this.buffer.length) return;
    const full = this.buffer;
    this.buffer = Buffer.allocUnsafe(this.chunkBytes);
    this.at = 0;
    await this.emit(full);
  }

  private async write(bytes: Buffer): Promise<void> {
    for (let from = 0; from < bytes.length;) {
      await this.room();
      const n = bytes.copy(this.buffer, this.at, from);
      this.at += n;
      from += n;
    }
  }

  private async pad(size: number): Promise<void> {
    let rest = (BLOCK - (size % BLOCK)) % BLOCK;
    // Zeros written in place: a Buffer.alloc per entry was garbage for every file of a 10,000-file ship.
    while (rest > 0) {
      await this.room();
      const n = Math.min(rest, this.buffer.length - this.at);
      this.buffer.fill(0, this.at, this.at + n);
      this.at += n;
      rest -= n;
    }
  }

  private async header(h: TarHeader, size: number): Promise<void> {
    const { block, pax } = ustar(h, size);
    if (pax !== '') {
      const body = Buffer.from(pax);
      const paxName = `PaxHeader/${Buffer.from(h.name.replace(/\/+$/, '').split('/').pop() ?? '').subarray(0, 80)}`;
      const { block: paxBlock } = ustar({ name: paxName, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: h.mtime }, body.length);
      paxBlock.write('x', 156, 'latin1');
      await this.write(withChecksum(paxBlock));
      await this.write(body);
      await this.pad(body.length);
    }
    await this.write(withChecksum(block));
  }

  /** A directory or symlink. */
  async entry(h: TarHeader): Promise<void> {
    await this.header(h, 0);
  }

  /** A file whose content is in memory. */
  async file(h: TarHeader, content: Buffer, hash?: Hash): Promise<void> {
    await this.header(h, content.length);
    hash?.update(content);
    await this.write(content);
    await this.pad(content.length);
  }

  /**
   * A file read from disk straight into the tar's buffers, `h.size` bytes;
   * throws `changed` when it has fewer or more by the time it is read.
   */
  async fileFrom(h: TarHeader & { size: number }, full: string, hash: Hash, changed: (why: string) => Error): Promise<void> {
    await this.header(h, h.size);
    const fd = openSync(full, 'r');
    try {
      let left = h.size;
      while (left > 0) {
        await this.room();
        const n = readSync(fd, this.buffer, this.at, Math.min(left, this.buffer.length - this.at), null);
        if (n === 0) throw changed(`it has fewer than the ${h.size} bytes it had`);
        hash.update(this.buffer.subarray(this.at, this.at + n));
        this.at += n;
        left -= n;
      }
      if (readSync(fd, Buffer.alloc(1), 0, 1, null) !== 0) throw changed(`it has more than the ${h.size} bytes it had`);
    } finally {
      closeSync(fd);
    }
    await this.pad(h.size);
  }

  /**
   * A small file from an open descriptor, as big as it is now (fstat): read
   * straight into the tar's buffers (no Buffer per file, no second copy);
   * throws `changed` when it shrinks while it is read.
   */
  async fileFromFd(h: TarHeader, fd: number, hash: Hash, changed: (why: string) => Error): Promise<number> {
    const size = fstatSync(fd).size;
    await this.header(h, size);
    let left = size;
    while (left > 0) {
      await this.room();
      const n = readSync(fd, this.buffer, this.at, Math.min(left, this.buffer.length - this.at), null);
      if (n === 0) throw changed(`it has fewer than the ${size} bytes it had`);
      hash.update(this.buffer.subarray(this.at, this.at + n));
      this.at += n;
      left -= n;
    }
    await this.pad(size);
    return size;
  }

  /** The two zero blocks that end a tar, and what is left in the buffer. */
  async end(): Promise<void> {
    await this.write(Buffer.alloc(2 * BLOCK));
    if (this.at > 0) await this.emit(this.buffer.subarray(0, this.at));
    this.at = 0;
  }
}
