/**
 * The lines a container prints on stderr before a line of werf-run's choosing
 * (recover/fold-probe.ts: the probe folded into werf's container prints its
 * findings, then FOLD_END). They are werf-run's, not werf's: kept out of the
 * user's stderr and the failure watcher, and handed over whole once the end
 * line comes. What follows it in the same chunk passes on.
 */

/** The probe prints a few KiB; past this the lines are not kept (the end line is still looked for). */
const PREAMBLE_LIMIT_BYTES = 1 << 20;

export class Preamble {
  private pending: Buffer = Buffer.alloc(0);
  private readonly kept: string[] = [];
  private keptBytes = 0;
  private ended = false;

  constructor(private readonly end: string) {}

  /** Whether the end line has come. */
  get done(): boolean {
    return this.ended;
  }

  /** The lines so far (all of them, once done). */
  get lines(): string[] {
    return [...this.kept];
  }

  /** A chunk of stderr: returns the bytes that pass on (none before the end line), and `ended` on the chunk that holds it. */
  push(chunk: Buffer): { pass: Buffer; ended: boolean } {
    if (this.ended) return { pass: chunk, ended: false };
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10)) {
      const line = data.subarray(0, nl).toString('utf8').replace(/\r$/, '');
      data = data.subarray(nl + 1);
      if (line === this.end) {
        this.ended = true;
        this.pending = Buffer.alloc(0);
        return { pass: data, ended: true };
      }
      this.keep(line);
    }
    // A line without its newline yet; one that never ends is cut at the limit rather than kept whole.
    this.pending = data.length > PREAMBLE_LIMIT_BYTES ? Buffer.alloc(0) : Buffer.from(data);
    return { pass: Buffer.alloc(0), ended: false };
  }

  private keep(line: string): void {
    this.keptBytes += line.length + 1;
    if (this.keptBytes <= PREAMBLE_LIMIT_BYTES) this.kept.push(line);
  }
}
