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
import { decideNetwork, loopbackTargetsInWerfArgs, networkEngine } from '../plan/network.js';
import { ensureImage } from '../run/pull.js';
import { runRecovering } from '../run/recovering.js';
import { WerfRunError } from '../errors.js';
import type { CliOptions } from './args.js';
import type { CliContext } from './context.js';
import { formatDryRun } from './dry-run.js';
import { checkMountSources, dockerSocketToMount, forwardHostFiles, imageIds, knownHostsFiles, probeFile, readBytes, readFileIfExists, useDesktopSshAgent } from './host-files.js';
import type { Reporter } from './reporter.js';
import { connectEngine, detectHost, prepareProject, requireMode } from './prepare.js';
import { learnFromFailure, rememberMode } from './detect-step.js';
import { authProvider } from './docker-setup.js';
import { DEFAULT_SOCKET } from '../engine/candidates.js';
import { ulimitsFor } from '../plan/engine-quirks.js';
import { projectStep } from './project-step.js';
import { withLifecycle, type Session } from './lifecycle.js';
import ci from 'ci-info';
import { registryAuthsForWerf } from './registry-auths.js';
import { kubeAccessForWerf } from './kube-access.js';
import { ciEnvFor } from '../plan/ci-env.js';
import { proxyEnv, type ProxyConfig } from '../plan/proxies.js';
import { refuseWhatCannotWork, translateHostPaths } from '../plan/werf-in-container.js';

/** git inside the image must accept a checkout owned by another uid (werf's images also set this). */
const SAFE_DIRECTORY_ENV = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory', GIT_CONFIG_VALUE_0: '*' };

export async function runWerfCommand(ctx: CliContext, options: CliOptions, werfArgs: readonly string[], reporter: Reporter): Promise<number> {
  return withLifecycle(ctx, reporter, (session) => runPipeline(ctx, options, werfArgs, reporter, session));
}

async function runPipeline(ctx: CliContext, options: CliOptions, werfArgs: readonly string[], reporter: Reporter, session: Session): Promise<number> {
  const prepared = await prepareProject(ctx, options, reporter);
  const { project, config, filepath } = prepared;
  const image = resolveImageRef(config.image);
  const own = new Set(ownEnvVars());
  const hostEnv = Object.fromEntries(Object.entries(ctx.env).filter(([name]) => !own.has(name)));
  // What cannot work in the werf container stops here, before the engine is touched.
  refuseWhatCannotWork({ werfArgs, env: { ...hostEnv, ...config.env.set }, image, mountDockerSocket: config.mountDockerSocket });

  // Host-side reading happens here; plan() stays pure and gets the results.
  const who = imageUser(config.user);
  const ids = imageIds(who.user);
  const knownHosts = config.forward.sshAgent ? knownHostsFiles({ hostHome: os.homedir(), home: who.home, read: readFileIfExists }) : { files: [], notes: [] };
  // Registry credentials: helpers run here, werf gets plain auths (never written to this host's disk).
  const auths = config.forward.dockerConfig
    ? await registryAuthsForWerf({ setup: prepared.dockerSetup, env: ctx.env, werfArgs, image, home: who.home })
    : undefined;
  const kube = config.forward.kubeConfig
    ? await kubeAccessForWerf({ env: ctx.env, hostHome: os.homedir(), werfArgs, home: who.home })
    : { file: undefined, targets: [], notes: [] };
  const translated = translateHostPaths({
    env: hostEnv,
    dockerConfigDir: auths?.file ? auths.dir : undefined,
    kubeconfig: kube.file?.path,
  });
  const ciEnv = ciEnvFor(config.ciEnv, ci.GITLAB ? 'gitlab' : ci.GITHUB_ACTIONS ? 'github' : undefined, werfArgs);
  const notes = [...knownHosts.notes, ...(auths?.notes ?? []), ...kube.notes, ...translated.notes, ciEnv.note];
  for (const note of notes) reporter.debug(note);

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

  const engineLocal = !engine || /^(unix|npipe):/.test(engine.endpoint.url);
  const hostFiles = forwardHostFiles({
    env: ctx.env,
    hostHome: os.homedir(),
    forward: config.forward,
    image: { home: who.home, ...ids },
    probe: probeFile,
    readBytes,
    engineLocal,
    engineUrl: engine?.endpoint.url,
  });
  // Docker Desktop runs the daemon in a VM: its own bridge to the host's ssh-agent replaces the host's socket path.
  const forwarded = /Docker Desktop/i.test(detected.operatingSystem ?? '') ? useDesktopSshAgent(hostFiles) : hostFiles;
  for (const note of forwarded.notes) {
    notes.push(note);
    reporter.debug(note);
  }
  for (const warning of forwarded.warnings) reporter.warn(warning);
  const firstMode = requireMode(choice);

  // Bind mounts name paths on the daemon's host: ask the engine what it sees there (and whether the image user may read it).
  const sameHost = engineLocal && process.platform === 'linux' && !detected.rootlessDaemon;
  const delivery = await projectStep({
    engine,
    project,
    image,
    user: who,
    ulimits: ulimitsFor(detected.security.engine?.product),
    mayRun: !options.dryRun,
    sameHost,
    reporter,
  });
  reporter.info(delivery.line);
  if (sameHost) {
    try {
      checkMountSources(config.mounts, project.root, probeFile);
    } catch (error) {
      if (!options.dryRun || !(error instanceof WerfRunError)) throw error;
      reporter.warn(`${error.message}. Fix: ${error.remedy}`);
    }
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

  // Loopback registries in werf's arguments: the network that reaches them.
  const network = decideNetwork({
    configured: config.network,
    engine: networkEngine({
      endpointUrl: engine?.endpoint.url ?? 'unix:///var/run/docker.sock',
      operatingSystem: detected.operatingSystem,
      platform: process.platform,
      rootless: detected.rootlessDaemon,
      product: detected.security.engine?.product,
    }),
    targets: [...loopbackTargetsInWerfArgs(werfArgs, { ...hostEnv, ...config.env.set }, image), ...kube.targets],
  });
  for (const note of network.notes) reporter.info(note);
  const proxies = proxyEnv({
    env: ctx.env,
    proxies: (prepared.dockerSetup.config.proxies ?? {}) as Record<string, ProxyConfig>,
    engineHost: engine?.endpoint.url ?? DEFAULT_SOCKET,
    fixed: config.env.set,
    configFile: prepared.dockerSetup.configFile,
  });
  for (const note of proxies.notes) reporter.debug(note);
  for (const warning of network.warnings) reporter.warn(warning);
  const planFor = (mode: typeof firstMode) =>
    plan({
      mode,
      image,
      werfArgs,
      project: { root: project.root, cwd: ctx.cwd, gitDirs: project.gitDirs, shipped: delivery.how === 'ship' ? delivery.volumes : undefined },
      config,
      facts: detected.security,
      hostEnv,
      owner,
      tty,
      readOnlyFiles: forwarded.sockets,
      extraEnv: { ...SAFE_DIRECTORY_ENV, ...translated.set, ...proxies.set, ...forwarded.extraEnv },
      dropEnv: [...translated.drop, ...forwarded.drop],
      files: [...forwarded.files, ...(auths?.file ? [auths.file] : []), ...(kube.file ? [kube.file] : []), ...knownHosts.files],
      ciEnv: ciEnv.ci,
      dockerSocket,
      network,
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
        notes: [delivery.line, ...notes, ...network.notes, ...proxies.notes],
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

  const result = await runRecovering({
    engine,
    firstMode,
    fuseDevice: step.detection.facts.fuseDevice.value,
    onAttemptFailed: (mode, failure) => learnFromFailure(step, mode, failure, reporter),
    planFor,
    allowPrivileged: config.allowPrivileged,
    maxAttempts: config.maxAttempts,
    io: { stdout: ctx.stdout, stderr: ctx.stderr, stdin: ctx.stdin },
    hooks: session.attemptHooks,
    onRetry: (from, to, failure, why) =>
      reporter.warn(`mode ${from} failed: ${failure.cause}. Retrying in mode ${to} (${why})`),
  });
  reporter.debug(`werf exited with ${result.exitCode} in mode ${result.mode}`);
  rememberMode(step, image, config, result.mode, reporter);
  return result.exitCode;
}
