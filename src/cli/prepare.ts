/**
 * The part of a run shared by `werf-run <werf command>` and `werf-run --export`:
 * the project and its config, then the engine, the host facts and the mode.
 * Nothing here runs werf. (Detection lives in detectHost: change it there.)
 */
import { loadConfig } from '../config/load.js';
import { envLayer, flagsLayer } from '../config/layers.js';
import type { Config } from '../config/schema.js';
import { connect } from '../engine/discover.js';
import type { Engine } from '../engine/port.js';
import { chooseMode, factsFromInfo, type HostFacts, type ModeChoice } from '../detect/facts.js';
import type { CliOptions } from './args.js';
import type { CliContext } from './context.js';
import type { Reporter } from './reporter.js';
import { findProjectRoot } from './project.js';

export interface PreparedProject {
  project: { root: string; isGit: boolean };
  config: Config;
}

export async function prepareProject(ctx: CliContext, options: CliOptions, reporter: Reporter): Promise<PreparedProject> {
  const project = await findProjectRoot(ctx.cwd);
  if (!project.isGit) reporter.warn(`${ctx.cwd} is not in a git repository; mounting it as the project (werf expects a git repository)`);

  const { config, filepath } = await loadConfig({
    cwd: ctx.cwd,
    stopDir: project.root,
    explicitPath: options.config,
    overlays: [envLayer(ctx.env), flagsLayer(options)],
  });
  reporter.debug(filepath ? `config: ${filepath}` : 'config: none found, using defaults');
  return { project, config };
}

export interface DetectedHost {
  engine: Engine;
  facts: HostFacts;
  choice: ModeChoice;
}

export async function connectEngine(ctx: CliContext, config: Config, reporter: Reporter): Promise<Engine> {
  reporter.step('connecting to the Docker Engine');
  const engine = await connect(
    { explicitHost: config.engine.host, env: ctx.env, timeoutMs: config.engine.timeoutMs },
    ctx.openEngine,
  );
  reporter.debug(`engine: ${engine.endpoint.url} (from ${engine.endpoint.source})`);
  return engine;
}

// ---- detection: the facts of the engine's host and the mode they allow ----
export async function detectHost(engine: Engine, config: Config, reporter: Reporter): Promise<Omit<DetectedHost, 'engine'>> {
  const info = await engine.info();
  const facts = factsFromInfo(info, config.detect);
  const choice = chooseMode(facts, config);
  for (const reason of choice.reasons) reporter.debug(`mode: ${reason}`);
  return { facts, choice };
}
// ---- end of detection ----
