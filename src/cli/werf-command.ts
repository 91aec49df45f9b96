/**
 * `werf-run <werf command>`: the pipeline from config to werf's exit code.
 * config -> engine -> image -> detect -> plan -> run (with recovery).
 */
import os from 'node:os';
import { resolveImageRef } from '../plan/image.js';
import { plan, type Owner } from '../plan/plan.js';
import { dockerRunCommand } from '../plan/docker-command.js';
import { ensureImage } from '../run/pull.js';
import { runRecovering } from '../run/recovering.js';
import type { CliOptions } from './args.js';
import type { CliContext } from './context.js';
import type { Reporter } from './reporter.js';
import { connectEngine, detectHost, prepareProject } from './prepare.js';

export async function runWerfCommand(
  ctx: CliContext,
  options: CliOptions,
  werfArgs: readonly string[],
  reporter: Reporter,
): Promise<number> {
  const { project, config } = await prepareProject(ctx, options, reporter);
  const engine = await connectEngine(ctx, config, reporter);

  const image = resolveImageRef(config.image);
  const { facts, choice } = await detectHost(engine, config, reporter);

  const owner: Owner = { host: os.hostname(), pid: process.pid, startedAt: new Date().toISOString() };
  const tty = Boolean(ctx.stdin.isTTY && ctx.stdout.isTTY);
  const planFor = (mode: typeof choice.mode) =>
    plan({
      mode,
      image,
      werfArgs,
      project: { root: project.root, cwd: ctx.cwd },
      config,
      facts,
      hostEnv: ctx.env,
      owner,
      tty,
    });

  if (options.dryRun) {
    const first = planFor(choice.mode);
    ctx.stdout.write(`# mode: ${first.mode} (${choice.reasons.join('; ')})\n# image: ${image}\n${dockerRunCommand(first.container)}\n`);
    return 0;
  }

  await ensureImage(engine, image, config.image.pull, undefined, reporter);

  reporter.step(`running werf ${werfArgs.join(' ')} in ${image} (mode ${choice.mode})`);
  const result = await runRecovering({
    engine,
    firstMode: choice.mode,
    planFor,
    allowPrivileged: config.allowPrivileged,
    maxAttempts: config.maxAttempts,
    io: { stdout: ctx.stdout, stderr: ctx.stderr },
    onRetry: (from, to, failure, why) =>
      reporter.warn(`mode ${from} failed: ${failure.cause}. Retrying in mode ${to} (${why})`),
  });
  reporter.debug(`werf exited with ${result.exitCode} in mode ${result.mode}`);
  return result.exitCode;
}
