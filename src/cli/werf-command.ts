/**
 * `werf-run <werf command>`: the pipeline from config to werf's exit code.
 * config -> engine -> image -> detect -> plan -> run (with recovery).
 * The preparation runs as the reporter's tasks (engine, detect, pull, start);
 * the reporter is told when it is over, before werf's output starts.
 */
import os from 'node:os';
import { imageUser } from '../plan/contract.js';
import { ownEnvVars } from '../config/layers.js';
import { resolveImageRef } from '../plan/image.js';
import { plan, type PlanInput } from '../plan/plan.js';
import { ensureImage } from '../run/pull.js';
import { runRecovering } from '../recover/retry.js';
import { classify } from '../recover/signatures.js';
import { runAttempt } from '../run/attempt.js';
import { WerfRunError } from '../errors.js';
import type { CliOptions } from './args.js';
import type { CliContext } from './context.js';
import { formatDryRun } from './dry-run.js';
import { checkMountSources, checkProjectAccess, dockerSocketToMount, forwardHostFiles, imageIds, probeFile, readText } from './host-files.js';
import type { Reporter } from '../reporter.js';
import { connectEngine, detectHost, prepareProject, requireMode } from './prepare.js';
import { learnFromFailure, rememberMode } from './detect-step.js';
import { authProvider } from './docker-setup.js';
import { DEFAULT_SOCKET, isRemoteEndpoint } from '../engine/candidates.js';
import { withLifecycle, type Session } from './lifecycle.js';

/** git inside the image must accept a checkout owned by another uid (werf's images also set this). */
const SAFE_DIRECTORY_ENV = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory', GIT_CONFIG_VALUE_0: '*' };

export async function runWerfCommand(ctx: CliContext, options: CliOptions, werfArgs: readonly string[], reporter: Reporter): Promise<number> {
  return withLifecycle(ctx, reporter, (session) => runPipeline(ctx, options, werfArgs, reporter, session));
}

async function runPipeline(ctx: CliContext, options: CliOptions, werfArgs: readonly string[], reporter: Reporter, session: Session): Promise<number> {
  const prepared = await prepareProject(ctx, options, reporter);
  const { project, config, filepath } = prepared;
  const image = resolveImageRef(config.image);

  // Host-side reading happens here; plan() stays pure and gets the results.
  const who = imageUser(config.user);
  const ids = imageIds(who.user);
  const forwarded = forwardHostFiles({
    env: ctx.env,
    hostHome: os.homedir(),
    forward: config.forward,
    image: { home: who.home, ...ids },
    probe: probeFile,
    readText,
  });
  for (const note of forwarded.notes) reporter.debug(note);
  for (const warning of forwarded.warnings) reporter.warn(warning);

  const assumed: string[] = [];
  // Containers (probe and werf) are created through the session's engine: labelled, tracked, removed on every path.
  const engine = await connectEngine(ctx, options, prepared, reporter, options.dryRun ? { why: '--dry-run plans with assumed facts', assumed } : undefined, session.openEngine);
  if (engine && !options.dryRun) await session.engineReady(engine);
  // The probe runs in the werf image, so it must be there first (--dry-run pulls and probes nothing).
  if (engine && !options.dryRun) {
    await reporter.task(`making sure ${image} is on the engine (pull policy ${config.image.pull})`, () =>
      ensureImage(engine, image, config.image.pull, authProvider(prepared.dockerSetup, ctx.env, image), reporter),
    );
  }
  const detected = await detectHost({
    engine,
    config,
    reporter,
    env: ctx.env,
    image,
    projectRoot: project.root,
    reprobe: Boolean(options.reprobe),
    mayProbe: !options.dryRun,
    assumed,
  });
  const { choice } = detected;
  const firstMode = requireMode(choice);

  // Bind mounts name paths on the daemon's host, and only a local Linux daemon
  // that is not rootless sees this machine's uids as they are (Docker Desktop's
  // file sharing and rootless remapping change them): check only there.
  const local = !engine || /^(unix|npipe):/.test(engine.endpoint.url);
  if (local && process.platform === 'linux' && !detected.rootlessDaemon) {
    try {
      checkProjectAccess(project.root, ids, probeFile);
      checkMountSources(config.mounts, project.root, probeFile);
    } catch (error) {
      if (!options.dryRun || !(error instanceof WerfRunError)) throw error;
      reporter.warn(`${error.message}. Fix: ${error.remedy}`);
    }
  } else {
    reporter.debug(`not checking that uid ${ids.uid ?? '?'} can read ${project.root}: the engine is remote, rootless or not on Linux`);
  }
  if (engine && isRemoteEndpoint(engine.endpoint.url)) {
    // Bind mounts name paths on the daemon's host, as with `docker run -v` against a remote engine.
    reporter.warn(`the engine at ${engine.endpoint.url} is on another host: ${project.root} (and any other bind mount) is mounted from that host's filesystem, so the checkout must exist there at the same path`);
  }

  // Never mounted unless the user asked for it (mountDockerSocket).
  let dockerSocket: PlanInput['dockerSocket'];
  if (config.mountDockerSocket) {
    if (engine) {
      dockerSocket = dockerSocketToMount(engine.endpoint.url);
      reporter.warn(`mounting the Docker socket ${dockerSocket.path} into the werf container (mountDockerSocket): werf can control this engine`);
    } else {
      assumed.push('mountDockerSocket: no engine answered, so no socket is mounted in this plan');
    }
  }

  const owner = session.owner;
  const tty = Boolean(ctx.stdin.isTTY && ctx.stdout.isTTY);
  const own = new Set(ownEnvVars());
  const hostEnv = Object.fromEntries(Object.entries(ctx.env).filter(([name]) => !own.has(name)));
  const planFor = (mode: typeof firstMode) =>
    plan({
      mode,
      image,
      werfArgs,
      project: { root: project.root, cwd: ctx.cwd },
      config,
      facts: detected.security,
      hostEnv,
      owner,
      tty,
      readOnlyFiles: forwarded.readOnlyFiles,
      extraEnv: { ...SAFE_DIRECTORY_ENV, ...forwarded.extraEnv },
      dockerSocket,
    });

  if (options.dryRun) {
    let imageState = 'unknown: engine unreachable';
    if (engine) {
      const present = await engine.inspectImage(image);
      imageState = present
        ? `present on the engine, ${present.id.slice(0, 19)}`
        : config.image.pull === 'never'
          ? 'missing, and the pull policy "never" would stop the run'
          : `missing: would be pulled (pull policy ${config.image.pull})`;
      if (present && config.image.pull === 'always') imageState += '; would be pulled again (pull policy always)';
    }
    reporter.endPreparation();
    ctx.stdout.write(
      formatDryRun({
        plan: planFor(firstMode),
        reasons: choice.reasons,
        engine: detected.engineLine,
        imageState,
        configFile: filepath,
        project,
        notes: forwarded.notes,
        assumed,
        dockerHost: engine && engine.endpoint.url !== DEFAULT_SOCKET ? engine.endpoint.url : undefined,
      }),
    );
    return 0;
  }
  const step = detected.step;
  if (!engine || !step) throw new WerfRunError('no Docker Engine'); // unreachable: connect() throws outside --dry-run

  await reporter.task(`starting werf ${werfArgs[0] ?? ''} in mode ${firstMode}`, async () => undefined);
  reporter.endPreparation();

  const io = { stdout: ctx.stdout, stderr: ctx.stderr, stdin: ctx.stdin };
  const result = await runRecovering({
    firstMode,
    attempt: (mode) => runAttempt(engine, planFor(mode).container, io, classify, session.attemptHooks),
    fuseDevice: step.detection.facts.fuseDevice.value,
    onAttemptFailed: (mode, failure) => learnFromFailure(step, mode, failure, reporter),
    allowPrivileged: config.allowPrivileged,
    maxAttempts: config.maxAttempts,
    onRetry: (from, to, failure, why) =>
      reporter.warn(`mode ${from} failed: ${failure.cause}. Retrying in mode ${to} (${why})`),
  });
  reporter.debug(`werf exited with ${result.exitCode} in mode ${result.mode}`);
  rememberMode(step, image, config, result.mode, reporter);
  return result.exitCode;
}
