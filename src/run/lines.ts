/**
 * Splits output chunks into lines for the failure classifier, without touching
 * the bytes that go to the user. Memory stays bounded: a partial line longer
 * than `maxLine` bytes keeps only its end (failure lines are short).
 *
 * This sits on werf's hot output path, so it works on Buffers: newlines are
 * found natively and only complete lines are decoded, as latin1 (every failure
 * signature is ASCII; a multi-byte character just becomes several characters
 * no signature matches). Output without newlines costs almost nothing.
 */
const LF = 10;
const CR = 13;

export class LineSplitter {
  private tail: Buffer = Buffer.alloc(0);

  constructor(private readonly maxLine = 8 * 1024) {}

  push(chunk: Buffer | string): string[] {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    const end = Math.max(buf.lastIndexOf(LF), buf.lastIndexOf(CR));
    if (end < 0) {
      this.keep(buf);
      return [];
    }
    const text = this.tail.toString('latin1') + buf.toString('latin1', 0, end + 1);
    this.tail = Buffer.alloc(0);
    this.keep(buf.subarray(end + 1));
    const lines = text.split(/\r?\n|\r/);
    lines.pop();
    return lines.map((line) => (line.length > this.maxLine ? line.slice(-this.maxLine) : line));
  }

  /** The last line, when the output ended without a newline. */
  flush(): string[] {
    const rest = this.tail.toString('latin1');
    this.tail = Buffer.alloc(0);
    return rest ? [rest] : [];
  }

  private keep(buf: Buffer): void {
    if (buf.length === 0) return;
    if (buf.length >= this.maxLine) {
      this.tail = Buffer.from(buf.subarray(buf.length - this.maxLine));
    } else if (this.tail.length + buf.length <= this.maxLine) {
      this.tail = Buffer.concat([this.tail, buf]);
    } else {
      this.tail = Buffer.concat([this.tail.subarray(this.tail.length - (this.maxLine - buf.length)), buf]);
    }
  }
}
