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
/** The typed array's own fill: Buffer's checks its arguments first, a cost for each of 10,000 headers. */
const zeroFill = Uint8Array.prototype.fill;

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

/** The typeflag byte: '0', '5', '2'. */
const TYPEFLAG = { file: 0x30, directory: 0x35, symlink: 0x32 } as const;

/** Octal, zero-padded, NUL-terminated, into a field of `width` bytes; false when it does not fit. Digits written as bytes: no string per field. */
function octal(block: Buffer, at: number, width: number, value: number): boolean {
  let rest = Math.floor(value);
  if (rest < 0 || rest >= 8 ** (width - 1)) return false;
  block[at + width - 1] = 0;
  for (let i = at + width - 2; i >= at; i--) {
    block[i] = 0x30 + (rest % 8);
    rest = Math.floor(rest / 8);
  }
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

/** One 512-byte ustar header into `block` at `off` (zeros there), without its checksum; the pax records for what does not fit its fields. */
function ustarInto(block: Buffer, off: number, h: TarHeader, size: number): string {
  let pax = '';
  const name = h.name;
  if (Buffer.byteLength(name) <= 100) block.write(name, off, 'utf8');
  else {
    pax += paxRecord('path', name);
    block.write(Buffer.from(name).subarray(0, 99).toString('latin1'), off, 'latin1');
  }
  octal(block, off + 100, 8, h.mode & 0o7777);
  if (!octal(block, off + 108, 8, h.uid)) pax += paxRecord('uid', String(h.uid));
  if (!octal(block, off + 116, 8, h.gid)) pax += paxRecord('gid', String(h.gid));
  if (!octal(block, off + 124, 12, size)) {
    pax += paxRecord('size', String(size));
    octal(block, off + 124, 12, 0);
  }
  octal(block, off + 136, 12, Math.max(0, h.mtime));
  block[off + 156] = TYPEFLAG[h.type];
  const link = h.linkname ?? '';
  if (Buffer.byteLength(link) <= 100) block.write(link, off + 157, 'utf8');
  else pax += paxRecord('linkpath', link);
  block.write('ustar\u000000', off + 257, 'latin1');
  return pax;
}

function ustar(h: TarHeader, size: number): { block: Buffer; pax: string } {
  const block = Buffer.alloc(BLOCK);
  return { block, pax: ustarInto(block, 0, h, size) };
}

/** Where the fields written end (the magic and version); the rest of a header stays zero. */
const WRITTEN_END = 265;

/** The header's checksum, in place: the sum of its bytes with the checksum field as spaces (zeros past WRITTEN_END add nothing). */
function checksumInto(block: Buffer, off: number): void {
  zeroFill.call(block, 0x20, off + 148, off + 156);
  let sum = 0;
  for (let i = off; i < off + WRITTEN_END; i++) sum += block[i]!;
  octal(block, off + 148, 7, sum);
  block[off + 155] = 0x20;
}

function withChecksum(block: Buffer): Buffer {
  checksumInto(block, 0);
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

  /** The header straight into the buffer when it is one block and fits (every short name): no Buffer per entry. */
  private headerInPlace(h: TarHeader, size: number): boolean {
    const off = this.at;
    if (this.buffer.length - off < BLOCK) return false;
    zeroFill.call(this.buffer, 0, off, off + BLOCK);
    if (ustarInto(this.buffer, off, h, size) !== '') return false;
    checksumInto(this.buffer, off);
    this.at += BLOCK;
    return true;
  }

  private async header(h: TarHeader, size: number): Promise<void> {
    if (this.headerInPlace(h, size)) return;
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
   * A small file from an open descriptor, as big as it is now: read straight
   * into the tar's buffers (no Buffer per file, no second copy); throws
   * `changed` when it shrinks while it is read. With `expected` (its size
   * when it was looked at) and room in the buffer, one read of a byte more
   * than that, put after the header's place, confirms the size without an
   * fstat: the common small file costs one read.
   */
  async fileFromFd(h: TarHeader, fd: number, hash: Hash, changed: (why: string) => Error, expected?: number): Promise<number> {
    if (expected !== undefined && this.smallFileInPlace(h, fd, hash, expected)) return expected;
    const size = fstatSync(fd).size;
    await this.header(h, size);
    let left = size;
    while (left > 0) {
      await this.room();
      // Positioned reads: a read above may have moved the descriptor's offset.
      const n = readSync(fd, this.buffer, this.at, Math.min(left, this.buffer.length - this.at), size - left);
      if (n === 0) throw changed(`it has fewer than the ${size} bytes it had`);
      hash.update(this.buffer.subarray(this.at, this.at + n));
      this.at += n;
      left -= n;
    }
    await this.pad(size);
    return size;
  }

  /** The file, header and padding in this buffer when it has `expected` bytes and they fit with one to spare; false leaves the tar as it was. */
  private smallFileInPlace(h: TarHeader, fd: number, hash: Hash, expected: number): boolean {
    const padded = expected + ((BLOCK - (expected % BLOCK)) % BLOCK);
    const off = this.at;
    // The header's block, the content and its padding, and the byte that says it did not grow.
    if (this.buffer.length - off < BLOCK + Math.max(padded, expected + 1)) return false;
    const n = readSync(fd, this.buffer, off + BLOCK, expected + 1, 0);
    if (n !== expected || !this.headerInPlace(h, expected)) {
      this.at = off;
      return false;
    }
    hash.update(this.buffer.subarray(off + BLOCK, off + BLOCK + expected));
    zeroFill.call(this.buffer, 0, off + BLOCK + expected, off + BLOCK + padded);
    this.at = off + BLOCK + padded;
    return true;
  }

  /** What is in the buffer goes out now, not when it is full (the start of an archive, for the engine to begin on). */
  async flush(): Promise<void> {
    if (this.at === 0) return;
    const part = this.buffer.subarray(0, this.at);
    this.buffer = Buffer.allocUnsafe(this.chunkBytes);
    this.at = 0;
    await this.emit(part);
  }

  /** The two zero blocks that end a tar, and what is left in the buffer. */
  async end(): Promise<void> {
    await this.write(Buffer.alloc(2 * BLOCK));
    if (this.at > 0) await this.emit(this.buffer.subarray(0, this.at));
    this.at = 0;
  }
}
