/**
 * `werf-run <werf command>`: the pipeline from config to werf's exit code.
 * config -> engine -> image -> detect -> plan -> run (with recovery).
 */
import os from 'node:os';
import { loadConfig } from '../config/load.js';
import { envLayer, flagsLayer } from '../config/layers.js';
import { connect } from '../engine/discover.js';
import { resolveImageRef } from '../plan/image.js';
import { plan, type Owner } from '../plan/plan.js';
import { dockerRunCommand } from '../plan/docker-command.js';
import { ensureImage } from '../run/pull.js';
import { runRecovering } from '../run/recovering.js';
import type { CliOptions } from './args.js';
import type { CliContext } from './context.js';
import type { Reporter } from './reporter.js';
import { findProjectRoot } from './project.js';
import { detectStep, learnFromFailure, rememberMode } from './detect-step.js';
import { WerfRunError } from '../errors.js';

export async function runWerfCommand(
  ctx: CliContext,
  options: CliOptions,
  werfArgs: readonly string[],
  reporter: Reporter,
): Promise<number> {
  const project = await findProjectRoot(ctx.cwd);
  if (!project.isGit) reporter.warn(`${ctx.cwd} is not in a git repository; mounting it as the project (werf expects a git repository)`);

  const { config, filepath } = await loadConfig({
    cwd: ctx.cwd,
    stopDir: project.root,
    explicitPath: options.config,
    overlays: [envLayer(ctx.env), flagsLayer(options)],
  });
  reporter.debug(filepath ? `config: ${filepath}` : 'config: none found, using defaults');

  reporter.step('connecting to the Docker Engine');
  const engine = await connect(
    { explicitHost: config.engine.host, env: ctx.env, timeoutMs: config.engine.timeoutMs },
    ctx.openEngine,
  );
  reporter.debug(`engine: ${engine.endpoint.url} (from ${engine.endpoint.source})`);

  const image = resolveImageRef(config.image);
  const info = await engine.info();
  // The probe runs in the werf image, so it must be there first (--dry-run pulls and probes nothing).
  if (!options.dryRun) await ensureImage(engine, image, config.image.pull, undefined, reporter);
  const detected = await detectStep({
    engine, info, config, env: ctx.env, image, projectRoot: project.root,
    reprobe: Boolean(options.reprobe), mayProbe: !options.dryRun, reporter,
  });
  const { choice } = detected;
  const firstMode = choice.mode;
  if (firstMode === undefined) {
    throw new WerfRunError(`no mode can work on this Docker host: ${choice.reasons.join('; ')}`, {
      remedy: choice.problems.map((p) => p.remedy).join('; ') || 'run werf-run doctor for details',
    });
  }
  const facts = { selinux: detected.detection.facts.selinux.value ?? false, usernsRemap: detected.detection.facts.usernsRemap.value ?? false };

  const owner: Owner = { host: os.hostname(), pid: process.pid, startedAt: new Date().toISOString() };
  const tty = Boolean(ctx.stdin.isTTY && ctx.stdout.isTTY);
  const planFor = (mode: typeof firstMode) =>
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
    const first = planFor(firstMode);
    ctx.stdout.write(`# mode: ${first.mode} (${choice.reasons.join('; ')})\n# image: ${image}\n${dockerRunCommand(first.container)}\n`);
    return 0;
  }

  reporter.step(`running werf ${werfArgs.join(' ')} in ${image} (mode ${firstMode})`);
  const result = await runRecovering({
    engine,
    firstMode,
    fuseDevice: detected.detection.facts.fuseDevice.value,
    onAttemptFailed: (mode, failure) => learnFromFailure(detected, mode, failure, reporter),
    planFor,
    allowPrivileged: config.allowPrivileged,
    maxAttempts: config.maxAttempts,
    io: { stdout: ctx.stdout, stderr: ctx.stderr },
    onRetry: (from, to, failure, why) =>
      reporter.warn(`mode ${from} failed: ${failure.cause}. Retrying in mode ${to} (${why})`),
  });
  reporter.debug(`werf exited with ${result.exitCode} in mode ${result.mode}`);
  rememberMode(detected, image, config, result.mode, reporter);
  return result.exitCode;
}
