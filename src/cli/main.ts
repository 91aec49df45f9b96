/**
 * The CLI's entry: parse, dispatch, and the ONE place that turns errors into a
 * message and an exit code. Known errors print what failed and the fix; other
 * errors are bugs and print a stack and where to report them. Stack traces of
 * known errors only with --verbose.
 */
import { ExitCode, WerfRunError } from '../errors.js';
import { parseArgs } from './args.js';
import type { CliContext } from './context.js';
import { createReporter } from './output.js';
import { runWerfCommand } from './werf-command.js';

export async function main(ctx: CliContext): Promise<number> {
  // Known once the arguments parse; a parse error itself needs no stack.
  let verbose = false;
  try {
    const parsed = parseArgs(ctx.argv, ctx.version, ctx.stdout, ctx.stderr);
    if (parsed.kind === 'exit') return parsed.exitCode;
    verbose = Boolean(parsed.options.verbose);
    const reporter = await createReporter(ctx, { verbose: Boolean(parsed.options.verbose), quiet: Boolean(parsed.options.quiet) });
    try {
      // doctor and --export are loaded on demand: the exports' YAML and TOML libraries cost start-up time every run would pay.
      if (parsed.kind === 'doctor') return await (await import('./doctor.js')).runDoctor(ctx, parsed.options, reporter);
      if (parsed.kind === 'trust') return await (await import('./trust-command.js')).runTrust(ctx, parsed.options, parsed.file);
      if (parsed.kind === 'export')
        return await (await import('./export-command.js')).runExport(ctx, parsed.options, parsed.werfArgs, reporter);
      return await runWerfCommand(ctx, parsed.options, parsed.werfArgs, reporter);
    } finally {
      // The task list must be finished before an error message (or nothing) follows.
      reporter.endPreparation();
    }
  } catch (error) {
    return report(error, ctx, verbose);
  }
}

function report(error: unknown, ctx: CliContext, verbose: boolean): number {
  if (error instanceof WerfRunError) {
    const remedy = error.remedy ? `\n  fix: ${error.remedy}` : '';
    ctx.stderr.write(`werf-run: error: ${error.message}${remedy}\n`);
    if (verbose && error.stack) ctx.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  ctx.stderr.write(`werf-run: internal error (a bug in werf-run, please report it with this output):\n${stack}\n`);
  return ExitCode.failed;
}
