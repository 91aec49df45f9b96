/**
 * `werf-run <werf command>` (and its --dry-run): prepareRun() (config, engine,
 * image, detection, mode), then the werf container's plan, then either werf
 * run with recovery or the plan printed. The preparation runs as the
 * reporter's tasks; the reporter is told when it is over, before werf's
 * output starts.
 */
import type { Mode } from '../config/schema.js';
import { ownEnvVars } from '../config/layers.js';
import { requireMode, showFact } from '../detect/choose.js';
import { modeKey } from '../detect/cache.js';
import { DEFAULT_SOCKET } from '../engine/candidates.js';
import { ExitCode, WerfRunError, errorMessage } from '../errors.js';
import { volumesFor, werfUserFor, werfUserOnRootless } from '../plan/checkout-owner.js';
import { checkoutOwner, removeWerfWorktreeEntries, rootlessDaemonIds } from '../host/checkout-owner.js';
import { stdinCarriesData } from '../host/stdin.js';
import { plan, type PlanInput, type RunPlan } from '../plan/plan.js';
import { decideNetwork, loopbackTargetsInWerfArgs, networkEngine } from '../plan/network.js';
import { subIdFiles } from '../plan/id-files.js';
import { describeAdaptation, idAdaptation } from '../detect/id-range.js';
import { disprovedFacts, learnedFromFailure } from '../recover/disprove.js';
import { mergeFindings, type FactKey } from '../detect/facts.js';
import { runRecovering } from '../recover/retry.js';
import { keyName } from '../config/describe.js';
import { unknownUserError } from './user-error.js';
import { werfFailedLine } from './werf-exit.js';
import { classify, type Signature } from '../recover/signatures.js';
import type { Reporter } from '../reporter.js';
import { runAttempt } from '../run/attempt.js';
import type { PendingShip, ShipResult } from '../run/ship.js';
import type { ContainerSpec } from '../engine/port.js';
import { SHIP_META_TARGET } from '../plan/ship.js';
import type { CliOptions } from './args.js';
import { hostOf, stdinIsTTY, type CliContext } from './context.js';
import { formatDryRun } from './dry-run.js';
import { checkMountSources, dockerSocketToMount, probeFile } from '../host/host-files.js';
import { ciEnvFor } from '../plan/ci-env.js';
import { refuseWhatCannotWork } from '../plan/werf-in-container.js';
import { SERVICE_ACCOUNT_DIR } from '../host/in-cluster.js';
import { binfmtHandlers } from '../host/binfmt.js';
import { readHostForWerf } from '../host/readers.js';
import { checkPlatforms, requestedPlatforms } from '../plan/platform.js';
import { DOCKER_CERTS_DIR } from '../host/registry-env.js';
import { ulimitsFor } from '../plan/engine-quirks.js';
import { projectStep, rememberedProjects } from '../host/project-step.js';
import { withLifecycle, type Session } from './lifecycle.js';
import { DRY_RUN_NO_CONTAINERS, prepareRun, reassess, type Prepared, type PreparedRun } from './prepare.js';
import { Replan, foldFor, foldedAttempt, type Fold } from './fold.js';
import { hostOsOf } from '../plan/host-path.js';
import { laptopProduct } from '../plan/laptop.js';
import { randomUUID } from 'node:crypto';
import { fsp } from '../files.js';
import path from 'node:path';
import { LOAD_REGISTRY_PORT, loadRequest, loadWithCiEnv, withOwnReport, type LoadRequest } from '../plan/load.js';
import { werfHomeDir } from '../plan/contract.js';
import { loadBuiltImages } from '../run/load.js';

const DAY_MS = 24 * 3600_000;

/** git inside the image must accept a checkout owned by another uid (werf's images also set this). */
const SAFE_DIRECTORY_ENV = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory', GIT_CONFIG_VALUE_0: '*' };

export async function runWerfCommand(
  ctx: CliContext,
  options: CliOptions,
  werfArgs: readonly string[],
  reporter: Reporter,
): Promise<number> {
  return withLifecycle(ctx, reporter, async (session) => {
    const dryRun = Boolean(options.dryRun);
    // What cannot work in the werf container stops before the engine is touched.
    const refuse = (config: PreparedRun['config'], image: string): void => {
      refuseWhatCannotWork({
        werfArgs,
        env: { ...hostEnvOf(ctx.env), ...config.env.set },
        image,
        mountDockerSocket: config.mountDockerSocket,
      });
      // --load with a command that builds nothing, or with --repo: said before the engine is touched (plan/load.ts).
      if (config.load) loadRequest(werfArgs, { ...hostEnvOf(ctx.env), ...config.env.set }, '/');
    };
    // A run without a TTY leaves the probe to werf's first container (cli/fold.ts); a TTY's stdin is the user's keyboard.
    const deferProbe = !dryRun && !(ctx.stdout.isTTY && stdinIsTTY(ctx));
    let prepared = await prepareRun(ctx, options, reporter, dryRun ? 'dry-run' : 'run', session, refuse, deferProbe);
    if (!prepared.engine) reporter.warn('no Docker Engine answered; --dry-run plans with assumed facts');
    for (let pass = 1; ; pass++) {
      try {
        return await planAndRun(ctx, werfArgs, prepared, reporter, session, { dryRun, reprobe: Boolean(options.reprobe) });
      } catch (error) {
        // Once: the second pass plans from the cache (or a probe container), never folded again.
        if (!(error instanceof Replan) || pass > 1) throw error;
        if (error.quiet) reporter.debug(error.why);
        else reporter.info(`${error.why}; planning again from what it learned`);
        prepared = await reassess(ctx, prepared, reporter, error.learned);
      }
    }
  });
}

/** The plan, then werf run (or the plan printed); a ship's lock is let go on every path. */
async function planAndRun(
  ctx: CliContext,
  werfArgs: readonly string[],
  prepared: PreparedRun,
  reporter: Reporter,
  session: Session,
  how: { dryRun: boolean; reprobe: boolean },
): Promise<number> {
  const werf = await planWerf(ctx, werfArgs, prepared, reporter, how.dryRun, how.reprobe);
  try {
    return prepared.purpose === 'run'
      ? await runWerf(ctx, werfArgs, prepared, werf, reporter, session)
      : await printDryRun(ctx, prepared, werf, reporter);
  } finally {
    // A ship that rode in werf's archive (or never got a container) lets go of its lock container.
    await werf.ship?.ship.release();
  }
}

/** The caller's environment without werf-run's own variables. */
function hostEnvOf(env: CliContext['env']): Record<string, string | undefined> {
  const own = new Set(ownEnvVars());
  return Object.fromEntries(Object.entries(env).filter(([name]) => !own.has(name)));
}

interface WerfPlan {
  firstMode: Mode;
  planFor(mode: Mode): RunPlan;
  /** Host files mounted, env forwarded, ... (--dry-run prints them). */
  notes: string[];
  /** What the plan assumed for want of an engine. */
  assumed: string[];
  /** The storage volume werf's user gets (per uid). */
  storageVolume: string;
  /** --load: the build report werf is asked for (its werfArgs are in the plan already). */
  load?: LoadRequest;
  /** Changes to ship that ride in werf's container's archive (host/project-step.ts); its manifest volume is mounted. */
  ship?: { ship: PendingShip; onShipped(result: ShipResult): void };
  /** After the run: the git dirs to clear of werf's worktree entries, and werf's home in the container (same host only). */
  worktreeEntries?: { gitDirs: string[]; home: string };
  /** werf's first container runs the probe before werf (cli/fold.ts). */
  fold?: Fold;
}

/** The werf container: host-side reading and checks happen here; plan() stays pure and gets the results. */
async function planWerf(
  ctx: CliContext,
  werfArgs: readonly string[],
  prepared: PreparedRun,
  reporter: Reporter,
  dryRun: boolean,
  reprobe: boolean,
): Promise<WerfPlan> {
  const { project, config, image } = prepared;
  const firstMode = requireMode(prepared.choice);
  const assumed: string[] = [];
  const hostEnv = hostEnvOf(ctx.env);
  const where = whereWerfRuns(ctx, prepared);
  checkPlatformsFor(ctx, werfArgs, prepared, where.engineLocal, reporter);
  const { chosen, werfConfig, daemonIds } = await werfUser(ctx, prepared, werfArgs, where, reporter);
  const fold = foldOrProbe(prepared, chosen.user, firstMode, requestedPlatforms(werfArgs, ctx.env));
  const load = loadFor(werfArgs, config, hostEnv, chosen.who.home);
  const handed = await readHandover(ctx, werfArgs, prepared, hostEnv, chosen.who, where, dryRun, reporter);
  const ciEnv = ciEnvStep(ctx, config, werfArgs, load, reporter);
  const delivery = await deliverProject(prepared, chosen.who, where, { dryRun, reprobe, fold }, reporter);
  const dockerSocket = dockerSocketFor(prepared, reporter, assumed);
  const { tty, pipedStdin } = stdinOf(ctx);
  const network = networkFor(ctx, werfArgs, prepared, hostEnv, handed.loopback, reporter);
  const idRangeFact = prepared.detection.facts.idRange;
  // As root of the namespace werf's buildah maps the container's own ids (no /etc/subuid): nothing to adapt.
  const adapted = chosen.who.uid === 0 ? undefined : idRangeAdaptation(idRangeFact, reporter);
  const planFor = (mode: Mode): RunPlan =>
    plan({
      mode,
      image,
      werfArgs: withLoadReport(load, handed.werfArgs ?? werfArgs),
      project: { root: project.root, cwd: ctx.cwd, gitDirs: project.gitDirs, sources: delivery.sources },
      hostOs: where.hostOs,
      config: werfConfig,
      facts: prepared.security,
      hostEnv,
      tty,
      pipedStdin,
      readOnlyFiles: handed.mounts,
      extraEnv: { ...SAFE_DIRECTORY_ENV, ...handed.env },
      dropEnv: handed.dropEnv,
      ciEnv: ciEnv.ci,
      dockerSocket,
      network,
      files: [...handed.files, ...subIdFiles(adapted)],
      addUser: chosen.addUser,
    });
  return {
    firstMode,
    ship: delivery.how === 'ship' ? delivery.pending : undefined,
    planFor,
    notes: [chosen.note, delivery.line, ...handed.notes, ciEnv.note, ...network.notes, ...factNotes(prepared), ...loadNotes(load)],
    load,
    assumed,
    storageVolume: werfConfig.volumes.storage,
    fold: fold
      ? { check: delivery.how === 'bind' ? delivery.check : undefined, product: where.product, werfIsRoot: chosen.who.uid === 0 }
      : undefined,
    worktreeEntries: delivery.how === 'bind' && (where.sameHost || daemonIds) ? worktreeEntriesOf(project, chosen.who.home) : undefined,
  };
}

/** werf's container gets a TTY when both ends are terminals; else stdin only when it carries data (docker run -i). */
function stdinOf(ctx: CliContext): { tty: boolean; pipedStdin: boolean } {
  // stdin itself last: asked only when it carries data (a terminal does not: cli/context.ts stdinIsTTY says why).
  return { tty: Boolean(ctx.stdout.isTTY && stdinIsTTY(ctx)), pipedStdin: stdinCarriesData() && ctx.stdin === process.stdin };
}

/** The host's git dirs that werf's `git worktree add` writes entries into, and werf's home where those worktrees live. */
function worktreeEntriesOf(project: PreparedRun['project'], home: string): NonNullable<WerfPlan['worktreeEntries']> {
  return { gitDirs: [`${project.root}/.git`, ...project.gitDirs], home };
}

/** Whether werf's first container takes the probe (cli/fold.ts); when it cannot, the probe container runs now, before the plan goes on. */
function foldOrProbe(prepared: PreparedRun, werfUser: string | undefined, mode: Mode, platforms: readonly string[]): boolean {
  if (!prepared.detection.probeDeferred) return false;
  const fold = foldFor(prepared, werfUser, mode, platforms);
  if (fold === true) return true;
  throw new Replan(`the probe runs in a container of its own: ${fold}`, { probed: false }, true);
}

/** werf writes into the checkout: it runs as the checkout's owner (plan/checkout-owner.ts), with cache volumes of its own. */
async function werfUser(ctx: CliContext, prepared: PreparedRun, werfArgs: readonly string[], where: WhereWerfRuns, reporter: Reporter) {
  const { project, config, engine } = prepared;
  const owner = where.sameHost && config.user === undefined ? await checkoutOwner(project.root) : undefined;
  // A rootless engine on this machine: its containers see the checkout through the daemon user's namespace.
  const rootlessHere = where.engineLocal && ctx.platform === 'linux' && prepared.rootlessDaemon && config.user === undefined && engine;
  const rootlessOwner = rootlessHere ? await checkoutOwner(project.root) : undefined;
  const daemonIds = rootlessHere && rootlessOwner ? await rootlessDaemonIds(engine.endpoint.url) : undefined;
  const chosen =
    rootlessOwner && daemonIds
      ? werfUserOnRootless(rootlessOwner, daemonIds, config.user, project.root, werfArgs)
      : werfUserFor(owner, config.user, project.root, werfArgs);
  reporter.debug(chosen.note);
  return { chosen, daemonIds, werfConfig: { ...config, user: chosen.user, volumes: volumesFor(config.volumes, chosen.who.uid) } };
}

/** --load: werf writes its build report where werf-run reads it (plan/load.ts); a fresh file in the werf home volume unless the user asked for theirs. */
function loadFor(werfArgs: readonly string[], config: PreparedRun['config'], hostEnv: Record<string, string | undefined>, home: string) {
  return config.load
    ? loadRequest(werfArgs, { ...hostEnv, ...config.env.set }, `${werfHomeDir(home)}/werf-run-load-${randomUUID()}.json`)
    : undefined;
}

/** werf-run's own report options go in here only: the host readers (output paths) see the user's arguments. */
function withLoadReport(load: LoadRequest | undefined, werfArgs: readonly string[]): readonly string[] {
  return load && load.report.kind === 'own' ? withOwnReport(werfArgs, load.report.path) : werfArgs;
}

/** werf ci-env before werf (plan/ci-env.ts); --load refuses it (ci-env sets WERF_REPO: nothing would stay local). */
function ciEnvStep(
  ctx: CliContext,
  config: PreparedRun['config'],
  werfArgs: readonly string[],
  load: LoadRequest | undefined,
  reporter: Reporter,
) {
  const ciEnv = ciEnvFor(config.ciEnv, hostOf(ctx).ci.vendor, werfArgs);
  reporter.debug(ciEnv.note);
  const ciRefusal = load ? loadWithCiEnv(ciEnv.ci) : undefined;
  if (ciRefusal) throw ciRefusal;
  return ciEnv;
}

/** What --dry-run says of --load. */
function loadNotes(load: LoadRequest | undefined): string[] {
  if (!load) return [];
  return [
    `--load: after werf exits 0, werf-run reads werf's build report ${load.report.path}${load.report.kind === 'own' ? ' (its own, in the werf home volume, removed after reading)' : ''}; for each final image the engine lacks (by werf's name or ID), a short container of the same image, user, mode and mounts, with no network, runs crane registry serve on its own loopback, werf export IMAGE --use-build-report --tag 127.0.0.1:${String(LOAD_REGISTRY_PORT)}/werf-run-load/... into it and crane pull to stdout, into the engine's image load, named as werf named it and <project>/<image>:latest`,
  ];
}

/** Too few ids on a rootless daemon for the image's own /etc/subuid: hand in one that fits (detect/id-range.ts). */
function idRangeAdaptation(fact: PreparedRun['detection']['facts']['idRange'], reporter: Reporter) {
  const adapted = idAdaptation(fact.value);
  if (adapted && fact.value) reporter.warn(describeAdaptation(adapted, fact.value));
  return adapted;
}

/** Where werf's container runs, as far as the plan cares: a local engine, the same host as this process, the laptop product. */
function whereWerfRuns(ctx: CliContext, prepared: PreparedRun) {
  const { engine } = prepared;
  const engineLocal = !engine || /^(unix|npipe):/.test(engine.endpoint.url);
  // Docker Desktop, OrbStack, Colima, ...: what its VM shares and how the ssh agent gets in (plan/laptop.ts).
  const product = laptopProduct({
    operatingSystem: prepared.info?.operatingSystem,
    name: prepared.info?.name,
    endpointUrl: engine?.endpoint.url,
    product: prepared.info?.product,
  });
  // Bind mounts name paths on the daemon's host: ask the engine what it sees there (and whether the image user may read it).
  const sameHost = engineLocal && ctx.platform === 'linux' && !prepared.rootlessDaemon;
  return { engineLocal, product, sameHost, hostOs: hostOsOf(ctx.platform) };
}
type WhereWerfRuns = ReturnType<typeof whereWerfRuns>;

/** --platform for an architecture the daemon's host cannot run: stop before werf. The probe ran test programs there (any engine); this machine's handlers count only where its kernel is the daemon's. */
function checkPlatformsFor(
  ctx: CliContext,
  werfArgs: readonly string[],
  prepared: PreparedRun,
  engineLocal: boolean,
  reporter: Reporter,
): void {
  const platforms = requestedPlatforms(werfArgs, ctx.env);
  if (!platforms.length || !prepared.info?.architecture) return;
  const binfmt = prepared.detection.facts.binfmt.value;
  const localKernel = engineLocal && ctx.platform === 'linux' && !prepared.rootlessDaemon;
  const handlers = binfmt?.handlers?.filter((h) => h.enabled).map((h) => h.name) ?? (localKernel ? binfmtHandlers() : undefined);
  const undecided = checkPlatforms(platforms, prepared.info.architecture, { programs: binfmt?.programs, handlers });
  if (undecided.length)
    reporter.debug(
      `--platform ${undecided.join(',')}: whether the Docker host runs these programs is not known (${prepared.detection.facts.binfmt.detail}); a RUN step without a binfmt_misc handler fails with "exec format error"`,
    );
}

/** What werf gets from this machine (host/readers.ts), its notes and warnings told. */
async function readHandover(
  ctx: CliContext,
  werfArgs: readonly string[],
  { config, image, engine, info, dockerSetup, project }: PreparedRun,
  hostEnv: Record<string, string | undefined>,
  who: ReturnType<typeof werfUserFor>['who'],
  where: WhereWerfRuns,
  dryRun: boolean,
  reporter: Reporter,
) {
  const handed = await readHostForWerf({
    env: ctx.env,
    hostEnv,
    hostHome: hostOf(ctx).home,
    cwd: ctx.cwd,
    platform: ctx.platform,
    projectRoot: project.root,
    werfArgs,
    mayRun: !dryRun,
    terminal: () => stdinIsTTY(ctx),
    now: new Date(),
    serviceAccountDir: SERVICE_ACCOUNT_DIR,
    dockerCertsDir: DOCKER_CERTS_DIR,
    config,
    image,
    user: who,
    dockerSetup,
    engine: {
      local: where.engineLocal,
      url: engine?.endpoint.url,
      dockerHost: engine?.endpoint.url ?? DEFAULT_SOCKET,
      product: where.product,
      registry: info?.registry,
    },
  });
  for (const note of handed.notes) reporter.debug(note);
  for (const warning of handed.warnings) reporter.warn(warning);
  return handed;
}

/** A pending ship's manifest volume mounted in werf's container, for its archive to write the manifest into (run/ship.ts). */
function withShipMeta(pending: PendingShip | undefined, spec: ContainerSpec): ContainerSpec {
  if (!pending) return spec;
  const meta = { type: 'volume' as const, source: pending.manifestVolume, target: SHIP_META_TARGET, readOnly: false };
  return { ...spec, mounts: [...spec.mounts, meta] };
}

/** How the project gets to werf (host/project-step.ts), and the config's mounts checked on the same host. */
async function deliverProject(
  prepared: PreparedRun,
  who: ReturnType<typeof werfUserFor>['who'],
  where: WhereWerfRuns,
  { dryRun, reprobe, fold }: { dryRun: boolean; reprobe: boolean; fold: boolean },
  reporter: Reporter,
) {
  const { engine, project, image, config } = prepared;
  const delivery = await projectStep({
    engine,
    project,
    image,
    user: who,
    ulimits: ulimitsFor(prepared.security.engine?.product),
    mayRun: !dryRun,
    sameHost: where.sameHost,
    reporter,
    remembered: prepared.cache && !reprobe ? rememberedProjects(prepared.cache) : undefined,
    marker: prepared.marker,
    hostOs: where.hostOs,
    product: where.product,
    view: prepared.projectView,
    shipInclude: config.ship.include,
    // Beside the daemon's cache file, one copy of each ship manifest per daemon.
    shipIndexDir: prepared.cache ? prepared.cache.file.replace(/\.json$/, '-ship') : undefined,
    // runWerf hands a pending ship to werf's first container (its archive carries the changes).
    shipWithWerf: true,
    foldCheck: fold,
  }).catch((error: unknown) => {
    // The check starts a short container as werf's user: an unknown user is refused there first, and is the config's mistake as in runWerf.
    throw unknownUserError(error, config.user, keyName(prepared.origins)('user'), image) ?? error;
  });
  reporter.info(delivery.line);
  if (where.sameHost) {
    try {
      checkMountSources(config.mounts, project.root, probeFile);
    } catch (error) {
      if (!dryRun || !(error instanceof WerfRunError)) throw error;
      reporter.warn(`${error.message}. Fix: ${error.remedy}`);
    }
  }
  return delivery;
}

/** Never mounted unless the user asked for it (mountDockerSocket). */
function dockerSocketFor({ config, engine }: PreparedRun, reporter: Reporter, assumed: string[]): PlanInput['dockerSocket'] {
  if (!config.mountDockerSocket) return undefined;
  if (!engine) {
    assumed.push('mountDockerSocket: no engine answered, so no socket is mounted in this plan');
    return undefined;
  }
  const dockerSocket = dockerSocketToMount(engine.endpoint.url);
  reporter.warn(
    `mounting the Docker socket ${dockerSocket.path} into the werf container (mountDockerSocket): werf can control this engine`,
  );
  return dockerSocket;
}

/** Loopback registries in werf's arguments: the network that reaches them (plan/network.ts). */
function networkFor(
  ctx: CliContext,
  werfArgs: readonly string[],
  { config, engine, info, rootlessDaemon, image }: PreparedRun,
  hostEnv: Record<string, string | undefined>,
  loopback: Parameters<typeof decideNetwork>[0]['targets'],
  reporter: Reporter,
) {
  const network = decideNetwork({
    configured: config.network,
    engine: networkEngine({
      endpointUrl: engine?.endpoint.url ?? DEFAULT_SOCKET,
      operatingSystem: info?.operatingSystem,
      platform: ctx.platform,
      rootless: rootlessDaemon,
      product: info?.product,
    }),
    targets: [...loopbackTargetsInWerfArgs(werfArgs, { ...hostEnv, ...config.env.set }, image), ...loopback],
  });
  for (const note of network.notes) reporter.info(note);
  for (const warning of network.warnings) reporter.warn(warning);
  return network;
}

/** The facts --dry-run names besides the mode's: the id range, and how a run would probe what is unknown. */
function factNotes(prepared: PreparedRun): string[] {
  return [idRangeNote(prepared.detection.facts.idRange), ...probeNotes(prepared)];
}

/** --dry-run: how a run would probe the facts it lacks (the plan above is made without them). */
function probeNotes(prepared: PreparedRun): string[] {
  const probe = prepared.detection.tried.find((t) => t.source === 'probe');
  if (prepared.purpose !== 'dry-run' || probe?.outcome !== 'skipped' || probe.detail !== DRY_RUN_NO_CONTAINERS) return [];
  return [
    "probe: a run would first learn the facts marked unknown: without a TTY in werf's own container, before werf (sh -c '<the probe script>' werf-run-probe werf ..., its findings on stderr lines prefixed 'werf-run-probe> ', werf exec'd only when werf-run answers go on its stdin, else planned again from them); with a TTY in a short container of its own",
  ];
}

/** The id range fact as --dry-run lists it. */
function idRangeNote(fact: PreparedRun['detection']['facts']['idRange']): string {
  return fact.value === undefined
    ? `id range: unknown ${fact.detail}`
    : `id range: ${fact.value.enough ? 'enough' : 'too small'} [${fact.source ?? 'unknown'}] ${fact.detail}`;
}

/** --dry-run: the plan and an equivalent docker run on stdout; nothing is pulled, created or started. */
async function printDryRun(ctx: CliContext, prepared: PreparedRun, werf: WerfPlan, reporter: Reporter): Promise<number> {
  const { engine, info, config, image } = prepared;
  const assumed = engine
    ? werf.assumed
    : [
        `the engine did not answer (${errorMessage(prepared.engineError).replace(/\n\s*/g, ' ')}); the plan uses the facts below instead of the daemon's`,
        'the host facts are unknown but for detect.* overrides; the mode is chosen as for an ordinary host',
        ...werf.assumed,
      ];
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
      plan: werf.planFor(werf.firstMode),
      reasons: prepared.choice.reasons,
      engine:
        engine && info
          ? `${engine.endpoint.url} (from ${engine.endpoint.source}): ${info.product} ${info.serverVersion}, kernel ${info.kernelVersion}, ${info.operatingSystem}`
          : undefined,
      imageState,
      configFile: prepared.configFile,
      project: prepared.project,
      notes: werf.notes,
      assumed,
      dockerHost: engine && engine.endpoint.url !== DEFAULT_SOCKET ? engine.endpoint.url : undefined,
    }),
  );
  return 0;
}

/** werf, in the first mode, then in the next ones while recovery says so; the cache learns from the outcome. */
async function runWerf(
  ctx: CliContext,
  werfArgs: readonly string[],
  prepared: Prepared<'run'>,
  werf: WerfPlan,
  reporter: Reporter,
  session: Session,
): Promise<number> {
  const { engine, config, detection } = prepared;
  await reporter.task(`starting werf ${werfArgs[0] ?? ''} in mode ${werf.firstMode}`, async () => undefined);
  reporter.endPreparation();

  // stdin only when an attempt reads it (cli/context.ts stdinIsTTY says why).
  const io = {
    stdout: ctx.stdout,
    stderr: ctx.stderr,
    get stdin() {
      return ctx.stdin;
    },
  };
  const { hints, watch } = hintWatcher();
  // Only the first attempt takes the probe: a retry's mode comes from werf's own failure.
  let fold = werf.fold;
  const result = await runRecovering({
    firstMode: werf.firstMode,
    attempt: (mode) => {
      const planned = werf.planFor(mode);
      const ship = werf.ship && { pending: werf.ship.ship, onShipped: werf.ship.onShipped };
      const spec = withShipMeta(werf.ship?.ship, planned.container);
      const options = { engine, spec, io, watch, hooks: session.attemptHooks, files: { ...planned, ship } };
      const first = fold;
      fold = undefined;
      return first ? foldedAttempt(options, first, { prepared, mode, reporter, session }) : runAttempt(options);
    },
    // Read when a failure is weighed: the probe in werf's first container may have learned them since (cli/fold.ts).
    get fuseDevice() {
      return detection.facts.fuseDevice.value;
    },
    get rootlessOverlay() {
      return detection.facts.rootlessOverlay.value;
    },
    // --mode X / mode: X means that mode; only auto climbs.
    pinned: config.mode !== 'auto',
    get idRange() {
      return detection.facts.idRange.value;
    },
    product: prepared.info?.product,
    onAttemptFailed: (mode, failure) => learnFromFailure(prepared, mode, failure, reporter),
    allowPrivileged: config.allowPrivileged,
    maxAttempts: config.maxAttempts,
    onRetry: (from, to, failure, why) => reporter.warn(`mode ${from} failed: ${failure.cause}. Retrying in mode ${to} (${why})`),
  }).catch((error: unknown) => {
    // A user the image does not have is the config's mistake: the engine says so when it starts the container.
    throw unknownUserError(error, config.user, keyName(prepared.origins)('user'), prepared.image) ?? error;
  });
  return afterWerf(ctx, werfArgs, prepared, werf, { result, hints }, reporter, session);
}

/**
 * A cached fact the failure proves wrong: the probe result is dropped, so the
 * next run probes again. A fact it shows that was unknown (/dev/fuse, which the
 * probe in werf's native container cannot see) joins the cached findings.
 */
function learnFromFailure(prepared: Prepared<'run'>, mode: Mode, failure: Signature, reporter: Reporter): void {
  const { detection, cache } = prepared;
  const wrong = disprovedFacts(failure.id, mode, detection.facts);
  if (wrong.length > 0) {
    reporter.info(`the run disproved ${wrong.join(', ')}; dropping the cached facts about this Docker host (the next run probes again)`);
    cache.update((entry) => ({ ...entry, probe: undefined }));
    return;
  }
  const learned = learnedFromFailure(failure.id, mode, detection.facts, failure.cause);
  const keys = Object.keys(learned) as FactKey[];
  if (keys.length === 0) return;
  detection.facts = mergeFindings(detection.facts, 'probe', learned);
  reporter.debug(
    `the ${mode} attempt showed ${keys.map((k) => `${k}=${showFact(detection.facts[k].value)}`).join(', ')}; cached for the next run`,
  );
  cache.update((entry) =>
    entry.probe
      ? {
          ...entry,
          probe: {
            ...entry.probe,
            findings: { ...entry.probe.findings, ...learned },
            untested: entry.probe.untested?.filter((k) => !keys.includes(k)),
          },
        }
      : entry,
  );
}

/** What follows werf's end: the exit code told, werf's worktree entries cleared, the mode remembered, --load. */
async function afterWerf(
  ctx: CliContext,
  werfArgs: readonly string[],
  prepared: Prepared<'run'>,
  werf: WerfPlan,
  { result, hints }: { result: Awaited<ReturnType<typeof runRecovering>>; hints: Signature[] },
  reporter: Reporter,
  session: Session,
): Promise<number> {
  const { engine, config } = prepared;
  if (result.stoppedForClosed) {
    reporter.info(
      `werf's ${result.stoppedForClosed} was closed by its reader while werf was running (e.g. | head): werf was stopped (it exited with ${result.exitCode}); exit code ${ExitCode.outputClosed}`,
    );
    return ExitCode.outputClosed;
  }
  reporter.debug(`werf exited with ${result.exitCode} in mode ${result.mode}`);
  if (werf.worktreeEntries) await clearWorktreeEntries(werf.worktreeEntries, reporter);
  // Stopped by werf-run on a signal: nothing to remember or report here; the lifecycle reports the interruption (exit 130).
  if (session.interruptedBy) return result.exitCode;
  if (config.mode === 'auto') rememberMode(prepared, werf.storageVolume, result.mode, reporter);
  if (result.exitCode === 0 && werf.load) await loadImages(ctx, engine, werf, werf.load, result.mode, reporter);
  // Even with --quiet: the one line that tells werf's exit code from werf-run's own.
  if (result.exitCode !== 0) {
    for (const hint of hints) reporter.warn(`werf's output says: ${hint.cause}. Fix: ${hint.remedy}`);
    ctx.stderr.write(werfFailedLine(werfArgs, result.exitCode, result.mode));
  }
  return result.exitCode;
}

/** --load after werf exited 0: werf's final images out of buildah's storage into the engine (run/load.ts). */
async function loadImages(
  ctx: CliContext,
  engine: Prepared<'run'>['engine'],
  werf: WerfPlan,
  load: LoadRequest,
  mode: Mode,
  reporter: Reporter,
): Promise<void> {
  const planned = werf.planFor(mode);
  const progress = ctx.stderr.isTTY ? (text: string) => ctx.stderr.write(`\r\x1b[K${text}`) : undefined;
  const cwd = ctx.cwd;
  try {
    const outcome = await loadBuiltImages({
      engine,
      werfContainer: planned.container,
      files: planned,
      report: load.report,
      // As werf's own container got them: host paths (--dir C:\src on Docker Desktop) translated (plan/plan.ts argInContainer).
      werfArgs: planned.container.cmd[0] === 'werf' ? planned.container.cmd.slice(1) : load.werfArgs,
      readUserReport: (file) => fsp.readText(path.resolve(cwd, file)).catch(() => undefined),
      reporter,
      progress,
    });
    reporter.info(
      `--load: ${outcome.loaded.length} image(s) loaded, ${outcome.present.length} already on the engine (${engine.endpoint.url})`,
    );
  } finally {
    if (progress) ctx.stderr.write('\r\x1b[K');
  }
}

/** Hints (exec format error, an unknown CA, a rate limit) never stop werf: they explain its failure afterwards. */
function hintWatcher(): { hints: Signature[]; watch: (line: string) => Signature | undefined } {
  const hints: Signature[] = [];
  const watch = (line: string): Signature | undefined => {
    const match = classify(line);
    if (!match?.hint) return match;
    if (!hints.includes(match)) hints.push(match);
    return undefined;
  };
  return { hints, watch };
}

/** werf's git worktree entries in the host's git dirs: their worktrees are in the werf home volume. */
async function clearWorktreeEntries(entries: NonNullable<WerfPlan['worktreeEntries']>, reporter: Reporter): Promise<void> {
  const cleared = await removeWerfWorktreeEntries(entries.gitDirs, entries.home);
  for (const entry of cleared.removed)
    reporter.debug(`removed werf's git worktree entry ${entry} (its worktree is in the werf home volume, not on this host)`);
  for (const entry of cleared.failed)
    reporter.warn(`could not remove werf's git worktree entry ${entry}: the host's git lists it as prunable until \`git worktree prune\``);
}

/**
 * In auto mode, remember the mode that worked for this daemon, image and storage volume.
 * Written again only when it changed or is a day old (the file's age is what the cache's pruning goes by).
 */
function rememberMode(prepared: Prepared<'run'>, storageVolume: string, mode: Mode, reporter: Reporter): void {
  const { cache } = prepared;
  const key = modeKey(prepared.image, storageVolume);
  const known = cache.read().entry?.modes?.[key];
  if (known?.mode === mode && Date.now() - Date.parse(known.at) < DAY_MS) {
    reporter.debug(`cache: mode ${mode} is remembered in ${cache.file} already`);
    return;
  }
  const failed = cache.update((entry) => ({
    ...entry,
    modes: { ...entry.modes, [key]: { mode, at: new Date().toISOString() } },
  }));
  reporter.debug(failed ?? `cache: mode ${mode} remembered in ${cache.file}`);
}
