/**
 * werf-run's own messages (never werf's output) go through a Reporter, to
 * stderr, so stdout carries only what werf prints. The interface sits beside
 * errors.ts, below every folder, so any layer can report (run/pull.ts shows
 * pull progress); the implementations are the CLI's: PlainReporter
 * (cli/reporter.ts) and TaskListReporter (cli/task-list.ts).
 */
export interface Reporter {
  /** A step of werf-run's own preparation (engine, detect, pull, start). */
  step(title: string): void;
  info(message: string): void;
  warn(message: string): void;
  /** Shown only with --verbose. */
  debug(message: string): void;
  /**
   * Runs one step of the preparation (engine, detect, pull, start): a line of
   * the task list on a terminal, a line in plain output.
   */
  task<T>(title: string, run: () => Promise<T>): Promise<T>;
  /**
   * The preparation is over (werf's output starts next, or werf-run stops):
   * nothing may be redrawn after this, and a CI group is closed.
   */
  endPreparation(): void;
  /**
   * A status that replaces the previous one (pull layers and bytes): under the
   * running step in the task list; in plain output at most one line every
   * few seconds, so CI logs get a few lines, not thousands.
   */
  progress(message: string): void;
}
