/**
 * The part of a run shared by `werf-run <werf command>` and `werf-run --export`:
 * the project and its config, then the engine, the host facts and the mode.
 * Nothing here runs werf. (Detection lives in detectHost: change it there.)
 */
import { loadConfig } from '../config/load.js';
import { envLayer, flagsLayer, FLAG_SOURCES } from '../config/layers.js';
import type { Config } from '../config/schema.js';
import { connect } from '../engine/discover.js';
import { loggingEngine } from '../engine/logging.js';
import type { Endpoint, Engine } from '../engine/port.js';
import { chooseMode, factsFromInfo, type HostFacts, type ModeChoice } from '../detect/facts.js';
import { UsageError, errorMessage } from '../errors.js';
import type { CliOptions } from './args.js';
import type { CliContext } from './context.js';
import type { Reporter } from './reporter.js';
import { findProjectRoot } from './project.js';
import { discoveryFacts, readDockerSetup } from './docker-setup.js';

export interface PreparedProject {
  project: { root: string; isGit: boolean };
  config: Config;
  /** The config file used, if any. */
  filepath: string | undefined;
}

export async function prepareProject(ctx: CliContext, options: CliOptions, reporter: Reporter): Promise<PreparedProject> {
  const project = await findProjectRoot(ctx.cwd);
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
  return { project, config, filepath };
}

/**
 * Finds the engine. With `optional`, an engine that does not answer is not an
 * error: the caller plans with assumed facts (--dry-run, --export of a forced
 * mode) and `assumed` says why.
 */
export async function connectEngine(
  ctx: CliContext,
  options: CliOptions,
  config: Config,
  reporter: Reporter,
  optional: { why: string; assumed: string[] } | undefined,
): Promise<Engine | undefined> {
  const openEngine = options.verbose
    ? (endpoint: Endpoint) => loggingEngine(ctx.openEngine(endpoint), (m) => reporter.debug(m))
    : ctx.openEngine;
  return reporter.task('connecting to the Docker Engine', async () => {
    try {
      const facts = discoveryFacts(readDockerSetup(ctx.env), config.engine, ctx.env);
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
  facts: HostFacts;
  choice: ModeChoice;
  /** One line about the engine, for --dry-run. */
  engineLine: string | undefined;
}

// ---- detection: the facts of the engine's host and the mode they allow ----
export async function detectHost(engine: Engine | undefined, config: Config, reporter: Reporter, assumed: string[]): Promise<DetectedHost> {
  return reporter.task('detecting what the Docker host allows', async () => {
    let facts: HostFacts;
    let engineLine: string | undefined;
    if (engine) {
      const info = await engine.info();
      facts = factsFromInfo(info, config.detect);
      reporter.debug(`engine: ${info.product} ${info.serverVersion} (API ${info.apiVersion}), kernel ${info.kernelVersion}, storage ${info.storageDriver}`);
      engineLine = `${engine.endpoint.url} (from ${engine.endpoint.source}): ${info.product} ${info.serverVersion}, kernel ${info.kernelVersion}, ${info.operatingSystem}`;
    } else {
      facts = {
        engine: { id: '', name: '', product: 'docker', serverVersion: '', kernelVersion: '', operatingSystem: '', storageDriver: '' },
        selinux: config.detect.selinux ?? false,
        usernsRemap: false,
        rootlessDaemon: false,
        apparmor: false,
        seccomp: true,
      };
      assumed.push(`SELinux ${facts.selinux ? 'enforced (detect.selinux)' : 'not enforced'}, no userns-remap, a kernel with rootless overlayfs unless detect.* says otherwise`);
    }
    const choice = chooseMode(facts, config);
    for (const reason of choice.reasons) reporter.debug(`mode: ${reason}`);
    return { facts, choice, engineLine };
  });
}
// ---- end of detection ----
