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
}

export interface PlainReporterOptions {
  stream: Writable;
  verbose: boolean;
  quiet: boolean;
  /** Prefix lines with a UTC time, as CI logs like it. */
  timestamps: boolean;
  now?: () => Date;
}

export class PlainReporter implements Reporter {
  constructor(private readonly options: PlainReporterOptions) {}

  private line(prefix: string, message: string): void {
    const time = this.options.timestamps ? `${(this.options.now ?? (() => new Date()))().toISOString()} ` : '';
    this.options.stream.write(`${time}werf-run: ${prefix}${message}\n`);
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
