/**
 * The part of a run shared by `werf-run <werf command>` and `werf-run --export`:
 * the project and its config, then the engine, the host facts and the mode.
 * Nothing here runs werf. (Detection lives in detectHost: change it there.)
 */
import { loadConfig } from '../config/load.js';
import { envLayer, flagsLayer, FLAG_SOURCES } from '../config/layers.js';
import type { Config, Mode } from '../config/schema.js';
import { connect } from '../engine/discover.js';
import { loggingEngine } from '../engine/logging.js';
import type { Endpoint, Engine } from '../engine/port.js';
import { assertPrivilegedAllowed, chooseMode, type ModeChoice } from '../detect/choose.js';
import { findingsFromOverrides, mergeFindings, unknownFacts } from '../detect/facts.js';
import type { PlanInput } from '../plan/plan.js';
import { UsageError, WerfRunError, errorMessage } from '../errors.js';
import type { CliOptions } from './args.js';
import type { CliContext } from './context.js';
import type { Reporter } from '../reporter.js';
import { findProjectRoot } from './project.js';
import { detectStep, type DetectStep } from './detect-step.js';
import { discoveryFacts, readDockerSetup, type DockerSetup } from './docker-setup.js';

export interface PreparedProject {
  project: { root: string; isGit: boolean };
  config: Config;
  /** The config file used, if any. */
  filepath: string | undefined;
  /** The docker CLI's config (contexts, credentials), read once per run. */
  dockerSetup: DockerSetup;
}

export async function prepareProject(ctx: CliContext, options: CliOptions, reporter: Reporter): Promise<PreparedProject> {
  const project = await findProjectRoot(ctx.cwd, ctx.env);
  if (!project.isGit) reporter.warn(`${ctx.cwd} is not in a git repository; mounting it as the project (werf expects a git repository)`);

  const fromEnv = envLayer(ctx.env);
  if (fromEnv.unused.length > 0) reporter.debug(`WERF_RUN_* variables that set nothing: ${fromEnv.unused.join(', ')}`);
  const { config, filepath } = await loadConfig({
    cwd: ctx.cwd,
    stopDir: project.root,
    explicitPath: options.config,
    overlays: [
      { name: 'the environment', values: fromEnv.values, sources: fromEnv.sources },
      { name: 'command-line flags', values: flagsLayer(options), sources: FLAG_SOURCES },
    ],
  });
  reporter.debug(filepath ? `config: ${filepath}` : 'config: none found, using defaults');
  // Before anything touches the engine (chooseMode checks it again for its own callers).
  assertPrivilegedAllowed(config);
  return { project, config, filepath, dockerSetup: readDockerSetup(ctx.env) };
}

/**
 * Finds the engine. With `optional`, an engine that does not answer is not an
 * error: the caller plans with assumed facts (--dry-run, --export of a forced
 * mode) and `assumed` says why.
 */
export async function connectEngine(
  ctx: CliContext,
  options: CliOptions,
  { config, dockerSetup }: Pick<PreparedProject, 'config' | 'dockerSetup'>,
  reporter: Reporter,
  optional: { why: string; assumed: string[] } | undefined,
  open: (endpoint: Endpoint) => Engine = ctx.openEngine,
): Promise<Engine | undefined> {
  const openEngine = options.verbose ? (endpoint: Endpoint) => loggingEngine(open(endpoint), (m) => reporter.debug(m)) : open;
  return reporter.task('connecting to the Docker Engine', async () => {
    try {
      const facts = discoveryFacts(dockerSetup, config.engine, ctx.env);
      const found = await connect({ facts, timeoutMs: config.engine.timeoutMs }, openEngine);
      reporter.debug(`engine: ${found.endpoint.url} (from ${found.endpoint.source})`);
      return found;
    } catch (error) {
      // A mistake in the settings (a context that does not exist) is reported even by --dry-run.
      if (!optional || error instanceof UsageError) throw error;
      reporter.warn(`no Docker Engine answered; ${optional.why}`);
      optional.assumed.push(`the engine did not answer (${errorMessage(error).replace(/\n\s*/g, ' ')}); the plan uses the facts below instead of the daemon's`);
      return undefined;
    }
  });
}

export interface DetectedHost {
  /** The detection with its cache; undefined when there was no engine to ask. */
  step: DetectStep | undefined;
  choice: ModeChoice;
  /** What plan() needs to know of the host. */
  security: PlanInput['facts'];
  rootlessDaemon: boolean;
  /** One line about the engine, for --dry-run. */
  engineLine: string | undefined;
}

export interface DetectHostInput {
  engine: Engine | undefined;
  config: Config;
  reporter: Reporter;
  env: Readonly<Record<string, string | undefined>>;
  image: string;
  projectRoot: string;
  reprobe: boolean;
  /** May a probe container run (the image must be on the engine)? */
  mayProbe: boolean;
  /** Filled with what was assumed for want of an engine. */
  assumed: string[];
}

// ---- detection: the facts of the engine's host and the mode they allow ----
export async function detectHost(input: DetectHostInput): Promise<DetectedHost> {
  const { engine, config, reporter } = input;
  return reporter.task('detecting what the Docker host allows', async () => {
    if (!engine) {
      // No engine: overrides only; everything else is unknown, and said so.
      const facts = mergeFindings(unknownFacts(), 'override', findingsFromOverrides(config.detect));
      input.assumed.push('the host facts are unknown but for detect.* overrides; the mode is chosen as for an ordinary host');
      const choice = chooseMode(facts, config);
      return {
        step: undefined,
        choice,
        security: { selinux: facts.selinux.value ?? false, usernsRemap: facts.usernsRemap.value ?? false },
        rootlessDaemon: facts.rootlessDaemon.value ?? false,
        engineLine: undefined,
      };
    }
    const info = await engine.info();
    reporter.debug(`engine: ${info.product} ${info.serverVersion} (API ${info.apiVersion}), kernel ${info.kernelVersion}, storage ${info.storageDriver}`);
    const step = await detectStep({
      engine,
      info,
      config,
      env: input.env,
      image: input.image,
      projectRoot: input.projectRoot,
      reprobe: input.reprobe,
      mayProbe: input.mayProbe,
      reporter,
    });
    const facts = step.detection.facts;
    return {
      step,
      choice: step.choice,
      security: { selinux: facts.selinux.value ?? false, usernsRemap: facts.usernsRemap.value ?? false, engine: { product: info.product } },
      rootlessDaemon: facts.rootlessDaemon.value ?? false,
      engineLine: `${engine.endpoint.url} (from ${engine.endpoint.source}): ${info.product} ${info.serverVersion}, kernel ${info.kernelVersion}, ${info.operatingSystem}`,
    };
  });
}
// ---- end of detection ----

/** The mode to start with, or the error that no mode can work, with every remedy the facts give. */
export function requireMode(choice: ModeChoice): Mode {
  if (choice.mode !== undefined) return choice.mode;
  throw new WerfRunError(`no mode can work on this Docker host: ${choice.reasons.join('; ')}`, {
    remedy: choice.problems.map((p) => p.remedy).join('; ') || 'run werf-run doctor for details',
  });
}
