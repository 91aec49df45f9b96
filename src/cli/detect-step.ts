/**
 * The detect step shared by a werf run and `doctor`: the cache for this
 * daemon, detection (override, info, cache, probe) and the mode choice, told
 * to the user; and, after a run, what the run taught (the mode that worked,
 * facts it disproved).
 */
import os from 'node:os';
import type { Config, Mode } from '../config/schema.js';
import type { Engine, EngineInfo } from '../engine/port.js';
import { DaemonCache, cacheDir, daemonKey, modeKey } from '../detect/cache.js';
import { chooseMode, type ModeChoice } from '../detect/choose.js';
import { detect, type Detection } from '../detect/detect.js';
import { disprovedFacts } from '../recover/disprove.js';
import { FACT_KEYS } from '../detect/facts.js';
import { imageUser } from '../plan/contract.js';
import { ulimitsFor } from '../plan/engine-quirks.js';
import { MANAGED_LABEL } from '../plan/plan.js';
import { runProbe } from '../run/probe.js';
import type { Signature } from '../recover/signatures.js';
import type { Reporter } from '../reporter.js';

export interface DetectStepInput {
  engine: Engine;
  info: EngineInfo;
  config: Config;
  env: Readonly<Record<string, string | undefined>>;
  image: string;
  projectRoot: string;
  reprobe: boolean;
  mayProbe: boolean;
  reporter: Reporter;
}

export interface DetectStep {
  cache: DaemonCache;
  detection: Detection;
  choice: ModeChoice;
}

export function openCache(env: DetectStepInput['env'], engine: Engine, info: EngineInfo): DaemonCache {
  return new DaemonCache(cacheDir(env, os.homedir()), daemonKey(engine.endpoint.url, info));
}

export async function detectStep(input: DetectStepInput): Promise<DetectStep> {
  const { reporter, config } = input;
  const cache = openCache(input.env, input.engine, input.info);
  const detection = await detect({
    engine: input.engine,
    info: input.info,
    config,
    cache,
    reprobe: input.reprobe,
    mayProbe: input.mayProbe,
    target: {
      image: input.image,
      user: imageUser(config.user).user,
      ulimits: ulimitsFor(input.info.product),
      // The owner labels come from the run's tracking engine (cli/lifecycle.ts), as for werf's container.
      labels: { [MANAGED_LABEL]: 'true', 'werf-run.project': input.projectRoot },
    },
    probe: (target) => runProbe(input.engine, target),
    onProbe: () => reporter.step(`probing what the Docker host can do (a short container in ${input.image})`),
  });
  for (const t of detection.tried) reporter.debug(`detect: ${t.source} ${t.outcome}: ${t.detail}`);
  for (const key of FACT_KEYS) {
    const fact = detection.facts[key];
    reporter.debug(`fact: ${key} = ${fact.value === undefined ? 'unknown' : String(fact.value)} [${fact.source ?? 'unknown'}] ${fact.detail}`);
  }
  const choice = chooseMode(detection.facts, config, config.mode === 'auto' ? detection.remembered : undefined);
  for (const reason of choice.reasons) reporter.debug(`mode: ${reason}`);
  reporter.debug(`mode: ${choice.mode ?? 'none can work'}${config.mode === 'auto' ? '' : ' (forced)'}`);
  return { cache, detection, choice };
}

/** A failed attempt: drop the cached probe result when the failure disproves it. */
export function learnFromFailure(step: DetectStep, mode: Mode, failure: Signature, reporter: Reporter): void {
  const wrong = disprovedFacts(failure.id, mode, step.detection.facts);
  if (wrong.length === 0) return;
  reporter.info(`the run disproved ${wrong.join(', ')}; dropping the cached facts about this Docker host (the next run probes again)`);
  step.cache.update((entry) => ({ ...entry, probe: undefined }));
}

/** A successful run in auto mode: remember the mode for this daemon, image and storage volume. */
export function rememberMode(step: DetectStep, image: string, config: Config, mode: Mode, reporter: Reporter): void {
  if (config.mode !== 'auto') return;
  const failed = step.cache.update((entry) => ({
    ...entry,
    modes: { ...entry.modes, [modeKey(image, config.volumes.storage)]: { mode, at: new Date().toISOString() } },
  }));
  if (failed) reporter.debug(failed);
  else reporter.debug(`cache: mode ${mode} remembered in ${step.cache.file}`);
}
