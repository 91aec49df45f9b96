/**
 * PlainReporter: werf-run's own messages as lines (timestamps and a
 * collapsible group in CI). The other Reporter (src/reporter.ts) is
 * TaskListReporter, a listr2 task list on a terminal (task-list.ts).
 */
import type { Writable } from 'node:stream';
import type { Reporter } from '../reporter.js';
import type { CiGroup } from './ci-output.js';

export interface PlainReporterOptions {
  stream: Writable;
  verbose: boolean;
  quiet: boolean;
  /** Prefix lines with a UTC time, as CI logs like it. */
  timestamps: boolean;
  now?: () => Date;
  /** Put the preparation into this CI system's collapsible group. */
  group?: CiGroup;
  /** Colour the warning prefix. */
  color?: boolean;
  /** The least time between two plain progress lines (default 10 s). */
  progressIntervalMs?: number;
}

export class PlainReporter implements Reporter {
  private groupOpen = false;
  private preparationOver = false;
  private lastProgressAt: number | undefined;

  constructor(private readonly options: PlainReporterOptions) {}

  private now(): Date {
    return (this.options.now ?? (() => new Date()))();
  }

  private line(prefix: string, message: string): void {
    const time = this.options.timestamps ? `${this.now().toISOString()} ` : '';
    this.options.stream.write(`${time}werf-run: ${prefix}${message}\n`);
  }

  progress(message: string): void {
    if (this.options.quiet) return;
    const now = this.now().getTime();
    // The first status is not printed: the step's own line has just said what starts.
    if (this.lastProgressAt === undefined) {
      this.lastProgressAt = now;
      return;
    }
    if (now - this.lastProgressAt < (this.options.progressIntervalMs ?? 10_000)) return;
    this.lastProgressAt = now;
    this.line('', message);
  }

  step(title: string): void {
    if (!this.options.quiet) this.line('', title);
  }

  info(message: string): void {
    if (!this.options.quiet) this.line('', message);
  }

  warn(message: string): void {
    if (!this.options.quiet) this.line(this.options.color ? '\x1b[33mwarning:\x1b[39m ' : 'warning: ', message);
  }

  debug(message: string): void {
    if (this.options.verbose) this.line('debug: ', message);
  }

  async task<T>(title: string, run: () => Promise<T>): Promise<T> {
    if (this.options.group && !this.groupOpen && !this.preparationOver && !this.options.quiet) {
      this.options.stream.write(`${this.options.group.open('werf-run: preparing')}\n`);
      this.groupOpen = true;
    }
    this.step(title);
    return run();
  }

  endPreparation(): void {
    this.preparationOver = true;
    if (this.groupOpen && this.options.group) this.options.stream.write(`${this.options.group.close()}\n`);
    this.groupOpen = false;
  }
}
