/**
 * prepareRun(): everything a command needs before it acts, in one pass: the
 * project and its config, the engine, the werf image, the host's facts and
 * the mode they allow. A werf run, --dry-run, --export and doctor differ only
 * in what they let it do on the engine (PURPOSES); each is then a thin
 * consumer of the result. Nothing here runs werf.
 */
import { keyName } from '../config/describe.js';
import { loadConfig, settingSource } from '../config/load.js';
import { envLayer, flagSources, flagsLayer, misspelledEnvVars } from '../config/layers.js';
import { projectTrust } from '../config/consent.js';
import type { Config } from '../config/schema.js';
import { connect } from '../engine/discover.js';
import { loggingEngine } from '../engine/logging.js';
import type { Endpoint, Engine, EngineInfo, ImageDetails } from '../engine/port.js';
import { DaemonCache, cacheDir, daemonKey } from '../detect/cache.js';
import { assertPrivilegedAllowed, chooseMode, showFact, type ModeChoice } from '../detect/choose.js';
import { daemonUserOf } from '../detect/daemon-user.js';
import { detect, type Detection, type EngineSource } from '../detect/detect.js';
import { FACT_KEYS } from '../detect/facts.js';
import { imageUser } from '../plan/contract.js';
import { ulimitsFor } from '../plan/engine-quirks.js';
import { resolveImageRef } from '../plan/image.js';
import { MANAGED_LABEL, type PlanInput } from '../plan/plan.js';
import type { ProjectMarker, ProjectView } from '../plan/project-view.js';
import type { ProbeTarget } from '../detect/probe-script.js';
import { ownContainerOnce } from '../host/own-container.js';
import { runProbe } from '../run/probe.js';
import { ensureImage } from '../run/pull.js';
import { UsageError } from '../errors.js';
import type { Reporter } from '../reporter.js';
import type { CliOptions } from './args.js';
import { hostOf, type CliContext } from './context.js';
import { authProvider, discoveryFacts, readDockerSetup, type DockerSetup } from '../host/docker-setup.js';
import type { Session } from './lifecycle.js';
import { findProjectRoot, readProjectMarker, type ProjectLocation } from '../host/project.js';
import { hostOsOf, hostPaths } from '../plan/host-path.js';

export type Purpose = 'run' | 'dry-run' | 'export' | 'doctor';

interface Permissions {
  /**
   * When no engine answers: 'required' stops the command; 'optional' goes on
   * without one (a mistake in the settings, like a context that does not
   * exist, still stops it); 'reported' goes on whatever the error, for the report.
   */
  engine: 'required' | 'optional' | 'reported';
  /** Containers (the probe, werf) may be created, after the sweep of earlier runs' orphans; else why none is. */
  containers: true | string;
  /** Make sure the werf image is on the engine: 'required' stops on failure, 'reported' records it (nothing is probed then). */
  pull: 'required' | 'reported' | 'no';
  /** Ignore the cached facts and remembered mode: never (false), when --reprobe is given, or always (and why, for the report). */
  reprobe: false | '--reprobe' | { always: string };
}

/** Why --dry-run creates no container (the probe's outcome says it, and the dry run's notes look for it). */
export const DRY_RUN_NO_CONTAINERS = '--dry-run creates no container';

/** What each command may do on the engine while preparing. */
const PURPOSES: Record<Purpose, Permissions> = {
  run: { engine: 'required', containers: true, pull: 'required', reprobe: '--reprobe' },
  'dry-run': { engine: 'optional', containers: DRY_RUN_NO_CONTAINERS, pull: 'no', reprobe: '--reprobe' },
  export: { engine: 'optional', containers: '--export creates no container', pull: 'no', reprobe: false },
  doctor: { engine: 'reported', containers: true, pull: 'reported', reprobe: { always: 'doctor always probes afresh' } },
};

interface PreparedCommon {
  project: ProjectLocation;
  config: Config;
  /** The config file used, if any. */
  configFile: string | undefined;
  /** The docker CLI's config (contexts, credentials), read once per run. */
  dockerSetup: DockerSetup;
  /** The werf image reference. */
  image: string;
  /** Key path -> the flag or variable that set it, so later messages name what the user typed. */
  origins: Readonly<Record<string, string>>;
  /** The werf image could not be made available (doctor goes on, and nothing was probed). */
  imageError: unknown;
  detection: Detection;
  choice: ModeChoice;
  /** The project's marker (git's HEAD, a few root files), being read; undefined when no container may check the project. */
  marker: Promise<ProjectMarker> | undefined;
  /** What the engine's host sees at the project's path, when the probe's container checked it (a werf run that probed). */
  projectView: ProjectView | undefined;
  /** What plan() needs to know of the host. */
  security: PlanInput['facts'];
  rootlessDaemon: boolean;
  /** Why the cached facts were ignored (--reprobe, doctor), or false. */
  reprobe: string | false;
}

/** A run stops when no engine answers (PURPOSES: engine 'required'), so it always has one, its /info and its cache. */
interface Connected {
  engine: Engine;
  info: EngineInfo;
  /** The per-daemon cache. */
  cache: DaemonCache;
  engineError: undefined;
}

/** --dry-run, --export and doctor go on without an engine: then all three are undefined and engineError says why. */
interface MaybeConnected {
  engine: Engine | undefined;
  info: EngineInfo | undefined;
  cache: DaemonCache | undefined;
  engineError: unknown;
}

/** What prepareRun gives each purpose: `purpose` tells them apart, so a run's engine needs no check. */
export type Prepared<P extends Purpose = Purpose> = P extends Purpose
  ? PreparedCommon & { purpose: P } & (P extends 'run' ? Connected : MaybeConnected)
  : never;
export type PreparedRun = Prepared;

/**
 * `session`: the run's lifecycle (cli/lifecycle.ts). Containers are created
 * through its engine (labelled with their owner, tracked, removed on every path).
 */
export async function prepareRun<P extends Purpose>(
  ctx: CliContext,
  options: CliOptions,
  reporter: Reporter,
  purpose: P,
  session?: Pick<Session, 'openEngine' | 'engineReady'>,
  /** Checks of the user's input that must stop the run before the engine is touched. */
  beforeEngine?: (config: Config, image: string) => void,
  /** A run may leave the probe to werf's own first container (recover/fold-probe.ts); see reassess(). */
  deferProbe?: boolean,
): Promise<Prepared<P>> {
  const may = PURPOSES[purpose];
  const inputs = await readInputs(ctx, options, reporter, beforeEngine);
  const { project } = inputs;

  // The project's marker (a git process) is read while the engine answers; only a run that may check the project uses it.
  const marker = may.containers === true ? handled(readProjectMarker(project.root, project.isGit, ctx.env)) : undefined;
  const { engine, info, engineError, knownImage } = await connectAlongside(ctx, options, inputs, reporter, may, session);

  const imageError = engine && may.pull !== 'no' ? await pullImage(ctx, engine, inputs, reporter, may, knownImage) : undefined;

  const cache = engine && info ? new DaemonCache(cacheDir(ctx.env, hostOf(ctx).home), daemonKey(engine.endpoint.url, info)) : undefined;
  const reprobe = may.reprobe === '--reprobe' ? (options.reprobe ? '--reprobe' : false) : may.reprobe && may.reprobe.always;
  // connectEngine threw for a purpose that requires the engine, so a run has one here (Connected).
  if (may.engine === 'required' && !(engine && info && cache)) throw new Error(`internal: prepareRun('${purpose}') has no engine`);
  const found = { ...inputs, engine, info, engineError, imageError, cache, marker };
  const assessed = await assess(ctx, found, reporter, { purpose, reprobe, deferProbe: purpose === 'run' && Boolean(deferProbe) });
  const prepared: PreparedCommon & { purpose: Purpose } & MaybeConnected = { purpose, ...found, ...assessed, reprobe };
  return prepared as Prepared<P>;
}

type Found = Omit<PreparedCommon, 'detection' | 'choice' | 'projectView' | 'security' | 'rootlessDaemon' | 'reprobe'> & MaybeConnected;

/** The host's facts and the mode they allow, and what the probe's container saw of the project (when one ran). */
async function assess(
  ctx: CliContext,
  found: Found,
  reporter: Reporter,
  how: { purpose: Purpose; reprobe: string | false; deferProbe: boolean; view?: ProjectView },
) {
  const may = PURPOSES[how.purpose];
  const { engine, info, cache, marker, project, imageError, image, config } = found;
  // A werf run checks what the engine sees of the project in the probe's container, when one runs (a cold run: one short container, not two).
  // Not from inside a container: paths there are translated first (project-step.ts), which the probe does not do.
  const checkProject = how.purpose === 'run' && !how.view && marker && engine && !(await ownContainerOnce(engine).catch(() => undefined));
  const probing = probeStep(
    may,
    imageError,
    image,
    engine,
    checkProject ? { marker, gitDirs: project.gitDirs } : undefined,
    how.deferProbe,
  );
  const detection = await detectHost(found, { engine, info, cache, probe: probing.probe }, how.reprobe, reporter);
  const choice = chooseFor(ctx, detection, config, engine, info, reporter);
  const { facts } = detection;
  return {
    detection,
    choice,
    projectView: how.view ?? probing.projectView(),
    security: securityOf(facts, info),
    rootlessDaemon: facts.rootlessDaemon.value ?? false,
  };
}

/**
 * A run whose probe was left to werf's first container, once that container
 * stopped before werf (recover/fold-probe.ts): its findings are in the cache
 * now, so the facts and the mode are worked out again from there (a probe
 * container runs only when the folded probe learned nothing, or when werf's
 * container could not take it: another user, a privileged mode). `view`: what
 * the folded check or the engine's refusal of the bind mount showed of the project.
 */
export async function reassess<P extends Purpose>(
  ctx: CliContext,
  prepared: Prepared<P>,
  reporter: Reporter,
  learned: { view?: ProjectView; probed: boolean },
): Promise<Prepared<P>> {
  // What the folded probe wrote is fresh: --reprobe is answered already.
  const reprobe = learned.probed ? false : prepared.reprobe;
  const assessed = await assess(ctx, prepared, reporter, { purpose: prepared.purpose, reprobe, deferProbe: false, view: learned.view });
  return { ...prepared, ...assessed } as Prepared<P>;
}

/** What the command reads before the engine: the project, its config, the docker CLI's setup and the werf image. */
async function readInputs(
  ctx: CliContext,
  options: CliOptions,
  reporter: Reporter,
  beforeEngine?: (config: Config, image: string) => void,
) {
  const { project, config, configFile, origins } = await readProject(ctx, options, reporter);
  const dockerSetup = readDockerSetup(ctx.env, hostOf(ctx).home);
  // Before the engine: a bad --image is the user's input (named by the flag that set it).
  const image = resolveImageRef(config.image, keyName(origins));
  beforeEngine?.(config, image);
  return { project, config, configFile, origins, dockerSetup, image };
}
type Inputs = Awaited<ReturnType<typeof readInputs>>;

/** Makes sure the werf image is on the engine; what went wrong is returned when the purpose only reports it. */
async function pullImage(
  ctx: CliContext,
  engine: Engine,
  { config, image, origins, configFile, dockerSetup }: Inputs,
  reporter: Reporter,
  may: Permissions,
  known: Promise<ImageDetails | undefined> | undefined,
): Promise<unknown> {
  try {
    // The probe runs in the werf image, so it must be there first.
    await reporter.task(`making sure ${image} is on the engine (pull policy ${config.image.pull})`, () =>
      ensureImage(
        engine,
        image,
        config.image.pull,
        settingSource(origins, configFile, 'image.pull', 'missing'),
        authProvider(dockerSetup, ctx.env, image),
        reporter,
        known,
      ),
    );
    return undefined;
  } catch (error) {
    if (may.pull === 'required') throw error;
    return error;
  }
}

/** The host's facts (detect/detect.ts), each told at debug level with its source. */
async function detectHost(
  { config, image, project }: Inputs,
  { engine, info, cache, probe }: { engine?: Engine; info?: EngineInfo; cache?: DaemonCache; probe: EngineSource['probe'] },
  reprobe: string | false,
  reporter: Reporter,
): Promise<Detection> {
  const detection = await reporter.task('detecting what the Docker host allows', () =>
    detect({
      config,
      engine: engine && info && cache ? { url: engine.endpoint.url, info, cache, probe } : undefined,
      reprobe,
      target: {
        image,
        user: imageUser(config.user).user,
        ulimits: ulimitsFor(info?.product),
        // The host network only when the user gave it to werf's container too (detect/probe-script.ts ProbeTarget.network).
        ...(config.network === 'host' ? { network: 'host' as const } : {}),
        // The owner labels come from the session's tracking engine (cli/lifecycle.ts), as for werf's container.
        labels: { [MANAGED_LABEL]: 'true', 'werf-run.project': project.root },
      },
      onProbe: () => reporter.step(`probing what the Docker host can do (a short container in ${image})`),
    }),
  );
  for (const t of detection.tried) reporter.debug(`detect: ${t.source} ${t.outcome}: ${t.detail}`);
  for (const key of FACT_KEYS) {
    const fact = detection.facts[key];
    reporter.debug(
      `fact: ${key} = ${fact.value === undefined ? 'unknown' : showFact(fact.value)} [${fact.source ?? 'unknown'}] ${fact.detail}`,
    );
  }
  return detection;
}

/** The mode the facts allow (detect/choose.ts), its reasons told at debug level. */
function chooseFor(
  ctx: CliContext,
  detection: Detection,
  config: Config,
  engine: Engine | undefined,
  info: EngineInfo | undefined,
  reporter: Reporter,
): ModeChoice {
  const choice = chooseMode(detection.facts, config, config.mode === 'auto' ? detection.remembered : undefined, {
    product: info?.product,
    daemonUser: engine ? daemonUserOf(engine.endpoint.url, hostOf(ctx).user) : undefined,
  });
  for (const reason of choice.reasons) reporter.debug(`mode: ${reason}`);
  reporter.debug(`mode: ${choice.mode ?? 'none can work'}${config.mode === 'auto' ? '' : ' (forced)'}`);
  return choice;
}

/**
 * connectEngine, with what goes alongside /info once the engine answers its
 * ping: the sweep of earlier runs' orphans and the image lookup (independent
 * requests, answered at once). The sweep is over when this returns.
 */
async function connectAlongside(
  ctx: CliContext,
  options: CliOptions,
  { config, dockerSetup, origins, image }: Inputs,
  reporter: Reporter,
  may: Permissions,
  session: Pick<Session, 'openEngine' | 'engineReady'> | undefined,
) {
  const early: { sweep?: Promise<void>; image?: Promise<ImageDetails | undefined> } = {};
  const alongside = (answered: Engine): void => {
    if (may.containers === true && session) early.sweep = session.engineReady(answered);
    if (may.pull !== 'no' && config.image.pull !== 'always') early.image = handled(answered.inspectImage(image));
  };
  const connected = await connectEngine(
    ctx,
    options,
    { config, dockerSetup, origins },
    reporter,
    may,
    session?.openEngine ?? ctx.openEngine,
    alongside,
  );
  if (connected.engine) await early.sweep;
  return { ...connected, knownImage: early.image };
}

/** How detection may run the probe, and what the probe's container saw of the project (once it ran). */
function probeStep(
  may: Permissions,
  imageError: unknown,
  image: string,
  engine: Engine | undefined,
  checkProject: { marker: Promise<ProjectMarker>; gitDirs: string[] } | undefined,
  defer: boolean,
): { probe: EngineSource['probe']; projectView: () => ProjectView | undefined } {
  let projectView: ProjectView | undefined;
  const probe =
    may.containers !== true
      ? { skip: may.containers }
      : imageError !== undefined
        ? { skip: `the werf image ${image} is not available` }
        : defer
          ? { defer: "left to werf's own first container, which runs it before werf (one container, not two)" }
          : {
              run: async (target: ProbeTarget) => {
                const check = checkProject
                  ? await checkProject.marker.then(
                      (m) => ({ marker: m, gitDirs: checkProject.gitDirs }),
                      () => undefined,
                    )
                  : undefined;
                const outcome = await runProbe(engine!, target, check);
                projectView = outcome.project;
                return outcome;
              },
            };
  return { probe, projectView: () => projectView };
}

/** What plan() needs to know of the host's security. */
function securityOf(facts: Detection['facts'], info: EngineInfo | undefined): PlanInput['facts'] {
  return {
    selinux: facts.selinux.value ?? false,
    usernsRemap: facts.usernsRemap.value ?? false,
    ...(info ? { engine: { product: info.product } } : {}),
  };
}

/** The same promise, with its rejection handled here too: it may be awaited late, or not at all when an earlier step stops the run. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** The project (the git root of the working directory) and its config, from every layer. */
async function readProject(ctx: CliContext, options: CliOptions, reporter: Reporter) {
  const project = await findProjectRoot(ctx.cwd, ctx.env, hostPaths(hostOsOf(ctx.platform)));
  if (!project.isGit) reporter.warn(`${ctx.cwd} is not in a git repository; mounting it as the project (werf expects a git repository)`);

  const fromEnv = envLayer(ctx.env);
  if (fromEnv.unused.length > 0) reporter.debug(`WERF_RUN_* variables that set nothing: ${fromEnv.unused.join(', ')}`);
  for (const { name, meant } of misspelledEnvVars(fromEnv.unused)) {
    reporter.warn(`${name} is not a werf-run variable (did you mean ${meant}?); it is ignored and not passed to werf`);
  }
  const { config, filepath, origins, consented } = await loadConfig({
    cwd: ctx.cwd,
    stopDir: project.root,
    explicitPath: options.config,
    overlays: [
      { name: 'the environment', values: fromEnv.values, sources: fromEnv.sources },
      { name: 'command-line flags', values: flagsLayer(options), sources: flagSources(options) },
    ],
    trust: {
      check: projectTrust({
        env: ctx.env,
        home: hostOf(ctx).home,
        uid: process.getuid?.(),
        flag: Boolean(options.trustProjectConfig),
        projectRoot: project.root,
      }),
      projectRoot: project.root,
    },
  });
  reporter.debug(filepath ? `config: ${filepath}` : 'config: none found, using defaults');
  // Before anything touches the engine (chooseMode checks it again for its own callers).
  assertPrivilegedAllowed(config);
  if (consented) {
    const what = consented.code ? 'is code, loaded' : `grants ${consented.grants.map((g) => `${g.key} ${g.value}`).join(', ')}`;
    reporter.debug(`config: the project's ${filepath} ${what} (you consented: ${consented.by})`);
  }
  return { project, config, configFile: filepath, origins };
}

/** Finds the engine and reads its /info; when the purpose allows, an engine that does not answer is returned as engineError. */
async function connectEngine(
  ctx: CliContext,
  options: CliOptions,
  { config, dockerSetup, origins }: { config: Config; dockerSetup: DockerSetup; origins: Readonly<Record<string, string>> },
  reporter: Reporter,
  may: Permissions,
  open: (endpoint: Endpoint) => Engine,
  /** Called once the engine has answered its ping, before /info is asked. */
  answered: (engine: Engine) => void,
): Promise<{ engine: Engine; info: EngineInfo; engineError?: undefined } | { engine?: undefined; info?: undefined; engineError: unknown }> {
  const openEngine = options.verbose ? (endpoint: Endpoint) => loggingEngine(open(endpoint), (m) => reporter.debug(m)) : open;
  return reporter.task('connecting to the Docker Engine', async () => {
    try {
      const facts = discoveryFacts(dockerSetup, config.engine, ctx.env, origins);
      const engine = await connect({ facts, timeoutMs: config.engine.timeoutMs }, openEngine);
      reporter.debug(`engine: ${engine.endpoint.url} (from ${engine.endpoint.source})`);
      answered(engine);
      const info = await engine.info();
      reporter.debug(
        `engine: ${info.product} ${info.serverVersion} (API ${info.apiVersion}), kernel ${info.kernelVersion}, storage ${info.storageDriver}, root ${info.dockerRootDir}`,
      );
      return { engine, info };
    } catch (error) {
      if (may.engine === 'required' || (may.engine === 'optional' && error instanceof UsageError)) throw error;
      return { engineError: error };
    }
  });
}
