/**
 * werf-run's own messages (never werf's output) go through a Reporter, to
 * stderr, so stdout carries only what werf prints.
 */
import type { Writable } from 'node:stream';

export interface Reporter {
  /** A step of werf-run's own preparation (engine, detect, pull, start). */
  step(title: string): void;
  info(message: string): void;
  warn(message: string): void;
  /** Shown only with --verbose. */
  debug(message: string): void;
  /**
   * A status that replaces the previous one (pull layers and bytes): redrawn
   * in place on a terminal, at most one plain line every few seconds in CI.
   * The next step/info/warn line ends it.
   */
  progress(message: string): void;
}

export interface PlainReporterOptions {
  stream: Writable;
  verbose: boolean;
  quiet: boolean;
  /** Prefix lines with a UTC time, as CI logs like it. */
  timestamps: boolean;
  /** A terminal a human watches: progress is redrawn in place. */
  live?: boolean;
  /** Without live, the least time between two progress lines (default 10 s). */
  progressIntervalMs?: number;
  now?: () => Date;
}

export class PlainReporter implements Reporter {
  private progressShown = false;
  private lastProgressAt: number | undefined;

  constructor(private readonly options: PlainReporterOptions) {}

  private now(): Date {
    return (this.options.now ?? (() => new Date()))();
  }

  private line(prefix: string, message: string): void {
    this.endProgress();
    const time = this.options.timestamps ? `${this.now().toISOString()} ` : '';
    this.options.stream.write(`${time}werf-run: ${prefix}${message}\n`);
  }

  private endProgress(): void {
    if (this.progressShown) this.options.stream.write('\r\x1b[K');
    this.progressShown = false;
    this.lastProgressAt = undefined;
  }

  progress(message: string): void {
    if (this.options.quiet) return;
    if (this.options.live) {
      this.options.stream.write(`\r\x1b[Kwerf-run: ${message}`);
      this.progressShown = true;
      return;
    }
    const now = this.now().getTime();
    if (this.lastProgressAt === undefined) {
      this.lastProgressAt = now;
      return;
    }
    if (now - this.lastProgressAt < (this.options.progressIntervalMs ?? 10_000)) return;
    this.line('', message);
    this.lastProgressAt = now;
  }

  step(title: string): void {
    if (!this.options.quiet) this.line('', title);
  }

  info(message: string): void {
    if (!this.options.quiet) this.line('', message);
  }

  warn(message: string): void {
    this.line('warning: ', message);
  }

  debug(message: string): void {
    if (this.options.verbose) this.line('debug: ', message);
  }
}
