/**
 * Every failure a user can cause or meet ends up as a WerfRunError: what failed,
 * with which value, and what to do about it. `cli/main.ts` is the only place that
 * turns them into a printed message and an exit code.
 */

/**
 * Every exit code werf-run itself gives, with what it means: the one table the
 * code (ExitCode below), `--help` and the docs read. When werf ran, its own
 * exit code passes through instead.
 */
export const EXIT_CODES = {
  doctorProblems: { code: 1, meaning: 'doctor: no mode can work on this Docker host, the werf image cannot be had, the project\'s files would not reach werf, or no engine answered' },
  usage: { code: 2, meaning: 'bad flags, config or environment (the message names the setting and the fix)' },
  failed: { code: 125, meaning: 'werf-run or the engine failed before or while werf ran, or no mode can work here' },
  interrupted: { code: 130, meaning: 'interrupted by SIGINT (Ctrl-C); the container was stopped and removed' },
  outputClosed: { code: 141, meaning: 'the reader of stdout or stderr went away while werf ran (e.g. | head); werf was stopped and removed' },
  terminated: { code: 143, meaning: 'stopped by SIGTERM; the container was stopped and removed' },
} as const;

/** The codes by name: ExitCode.usage is 2. */
export const ExitCode = Object.fromEntries(Object.entries(EXIT_CODES).map(([name, { code }]) => [name, code])) as {
  readonly [K in keyof typeof EXIT_CODES]: (typeof EXIT_CODES)[K]['code'];
};

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
