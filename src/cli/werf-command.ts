/**
 * `werf-run <werf command>`: the pipeline from config to werf's exit code.
 * config -> engine -> image -> detect -> plan -> run (with recovery).
 */
import { loadConfig } from '../config/load.js';
import { envLayer, flagsLayer } from '../config/layers.js';
import { connect } from '../engine/discover.js';
import { chooseMode, factsFromInfo } from '../detect/facts.js';
import { resolveImageRef } from '../plan/image.js';
import { plan } from '../plan/plan.js';
import { dockerRunCommand } from '../plan/docker-command.js';
import { ensureImage } from '../run/pull.js';
import { runRecovering } from '../run/recovering.js';
import type { CliOptions } from './args.js';
import type { CliContext } from './context.js';
import type { Reporter } from './reporter.js';
import { findProjectRoot } from './project.js';
import { withLifecycle, type Session } from './lifecycle.js';

export async function runWerfCommand(
  ctx: CliContext,
  options: CliOptions,
  werfArgs: readonly string[],
  reporter: Reporter,
): Promise<number> {
  return withLifecycle(ctx, reporter, (session) => runPipeline(ctx, options, werfArgs, reporter, session));
}

async function runPipeline(
  ctx: CliContext,
  options: CliOptions,
  werfArgs: readonly string[],
  reporter: Reporter,
  session: Session,
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
    session.openEngine,
  );
  reporter.debug(`engine: ${engine.endpoint.url} (from ${engine.endpoint.source})`);

  await session.engineReady(engine);

  const image = resolveImageRef(config.image);
  const info = await engine.info();
  const facts = factsFromInfo(info, config.detect);
  const choice = chooseMode(facts, config);
  for (const reason of choice.reasons) reporter.debug(`mode: ${reason}`);

  const owner = session.owner;
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
    io: { stdout: ctx.stdout, stderr: ctx.stderr, stdin: ctx.stdin },
    hooks: session.attemptHooks,
    onRetry: (from, to, failure, why) =>
      reporter.warn(`mode ${from} failed: ${failure.cause}. Retrying in mode ${to} (${why})`),
  });
  reporter.debug(`werf exited with ${result.exitCode} in mode ${result.mode}`);
  return result.exitCode;
}
