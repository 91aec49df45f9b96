/**
 * Splits output chunks into lines for the failure classifier, without touching
 * the bytes that go to the user. Memory stays bounded: a partial line longer
 * than `maxLine` is cut (signatures are short and sit near a line's end).
 */
export class LineSplitter {
  private partial = '';

  constructor(private readonly maxLine = 64 * 1024) {}

  push(chunk: Buffer | string): string[] {
    const text = this.partial + chunk.toString();
    const lines = text.split(/\r?\n|\r/);
    this.partial = lines.pop() ?? '';
    if (this.partial.length > this.maxLine) this.partial = this.partial.slice(-this.maxLine);
    return lines;
  }

  /** The last line, when the output ended without a newline. */
  flush(): string[] {
    const rest = this.partial;
    this.partial = '';
    return rest ? [rest] : [];
  }
}
