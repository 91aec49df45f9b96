/**
 * Which Reporter fits where werf-run runs: a listr2 task list on a terminal a
 * person watches; plain timestamped lines without a terminal or in CI (no
 * spinners, no cursor movement), with the preparation in the CI system's
 * collapsible group; nothing but errors with --quiet.
 */
import type { CliContext } from './context.js';
import { ciKind } from '../config/ci.js';
import { ciGroupFor, useColor } from './ci-output.js';
import type { Reporter } from '../reporter.js';
import { PlainReporter } from './reporter.js';

export interface OutputChoice {
  verbose: boolean;
  quiet: boolean;
}

/** The task list (listr2) loads only when it is the one chosen: most runs (CI, pipes, --quiet) never need it. */
export async function createReporter(
  ctx: Pick<CliContext, 'env' | 'stderr'>,
  choice: OutputChoice,
  ci: boolean = ciKind(ctx.env).isCI,
): Promise<Reporter> {
  const terminal = Boolean(ctx.stderr.isTTY);
  // A pseudo-terminal without a size (columns 0) would wrap the list after every character.
  const columns = (ctx.stderr as { columns?: number }).columns ?? 0;
  if (terminal && columns > 0 && !ci && !choice.quiet && ctx.env.TERM !== 'dumb') {
    const { TaskListReporter } = await import('./task-list.js');
    return new TaskListReporter({ stream: ctx.stderr, verbose: choice.verbose });
  }
  return new PlainReporter({
    stream: ctx.stderr,
    verbose: choice.verbose,
    quiet: choice.quiet,
    timestamps: ci || !terminal,
    group: ci ? ciGroupFor(ctx.env) : undefined,
    color: useColor(ctx.env, terminal && !ci),
  });
}
