/**
 * Every failure a user can cause or meet ends up as a WerfRunError: what failed,
 * with which value, and what to do about it. `cli/main.ts` is the only place that
 * turns them into a printed message and an exit code.
 */

/** Exit codes of werf-run itself (werf's own code passes through when werf ran). */
export const ExitCode = {
  /** `werf-run doctor` only: no mode can work on this host, or no engine answered. */
  doctorProblems: 1,
  /** Bad flags, bad config, bad environment: fix the input and run again. */
  usage: 2,
  /** werf-run or the engine failed before werf could run (or no mode can work on this host). */
  failed: 125,
  /** Interrupted by SIGINT (Ctrl-C). */
  interrupted: 130,
  /** Stopped by SIGTERM. */
  terminated: 143,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface WerfRunErrorOptions {
  /** The fix a user can apply, as a command or a sentence. */
  remedy?: string;
  exitCode?: number;
  cause?: unknown;
}

export class WerfRunError extends Error {
  readonly remedy: string | undefined;
  readonly exitCode: number;

  constructor(message: string, options: WerfRunErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WerfRunError';
    this.remedy = options.remedy;
    this.exitCode = options.exitCode ?? ExitCode.failed;
  }
}

/** A mistake in flags, config or environment: exit code 2. */
export class UsageError extends WerfRunError {
  constructor(message: string, remedy?: string, cause?: unknown) {
    super(message, { remedy, cause, exitCode: ExitCode.usage });
    this.name = 'UsageError';
  }
}

/** The run was interrupted by a signal; the exit code follows the shell's 128+n. */
export class InterruptedError extends WerfRunError {
  constructor(readonly signal: 'SIGINT' | 'SIGTERM') {
    super(`interrupted by ${signal}; the werf container was stopped and removed`, {
      exitCode: signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated,
    });
    this.name = 'InterruptedError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
