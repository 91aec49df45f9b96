/**
 * Detection: a list of small sources of facts, tried in order (override, info,
 * cache, probe). Each says what it learned or why it did not apply; earlier
 * sources win. The probe container runs only when a fact it learns is still
 * unknown, and what it learns goes into the cache for the next run.
 */
import type { Config, Mode } from '../config/schema.js';
import type { EngineInfo } from '../engine/port.js';
import { modeKey, type DaemonCache } from './cache.js';
import {
  PROBED_KEYS,
  findingsFromInfo,
  findingsFromOverrides,
  mergeFindings,
  unknownFacts,
  type FactKey,
  type FactSource,
  type Facts,
  type Findings,
} from './facts.js';
import type { ProbeOutcome, ProbeTarget } from './probe-script.js';

/** What the engine that answered gives detection. */
export interface EngineSource {
  /** Where the engine is, for the evidence ("/info of unix:///var/run/docker.sock"). */
  url: string;
  info: EngineInfo;
  /** The per-daemon cache of this engine. */
  cache: DaemonCache;
  /**
   * Runs the probe container (run/probe.ts: detection decides, run/ runs), or
   * why this command creates none (--dry-run, --export, an image that is not there),
   * or why it is left to werf's own first container (`defer`: recover/fold-probe.ts).
   */
  probe: { run(target: ProbeTarget): Promise<ProbeOutcome> } | { skip: string } | { defer: string };
}

export interface DetectInput {
  config: Config;
  /** undefined when no engine answered: then only the detect.* overrides count, and every other source says so. */
  engine: EngineSource | undefined;
  /**
   * Why the cached facts and the remembered mode are ignored ('--reprobe',
   * 'doctor always probes afresh'), as the cache's outcome says it; false to use them.
   */
  reprobe: false | string;
  target: ProbeTarget;
  /** Called just before the probe container is created (for the user to see). */
  onProbe?(): void;
}

export interface SourceOutcome {
  source: FactSource;
  outcome: 'used' | 'skipped' | 'failed';
  detail: string;
}

export interface Detection {
  facts: Facts;
  tried: SourceOutcome[];
  /** The mode that worked last time for this daemon, image and storage volume. */
  remembered: Mode | undefined;
  /** The probe would have run, and is left to werf's first container (EngineSource.probe `defer`). */
  probeDeferred: boolean;
}

export const NO_ENGINE = 'no Docker Engine answered';

type Step = { findings: Findings; detail: string } | { skip: string; deferred?: true } | { fail: string; findings?: Findings };

const known = (facts: Facts, keys: readonly (keyof Facts)[]): boolean => keys.every((k) => facts[k].value !== undefined);

/** The probe's findings the per-daemon cache holds, unless --reprobe or there are none. */
function fromCache(input: DetectInput, cached: ReturnType<EngineSource['cache']['read']> | undefined): Step {
  const { engine } = input;
  if (!engine || !cached) return { skip: NO_ENGINE };
  if (input.reprobe !== false) return { skip: input.reprobe };
  if (!cached.entry) return { skip: cached.why };
  if (!cached.entry.probe) return { skip: `cache ${engine.cache.file} holds no probe result` };
  // A too small id range is not trusted from the cache: the fix (more
  // subordinate ids, a restarted daemon) keeps the daemon's identity, so
  // the probe looks again rather than stopping on a stale fact.
  const { idRange, ...findings } = cached.entry.probe.findings;
  const stale = idRange?.value.enough === false;
  return {
    findings: stale ? findings : cached.entry.probe.findings,
    detail: `${engine.cache.file} (probed ${cached.entry.probe.at} in ${cached.entry.probe.image}${stale ? '; its too small id range is probed again' : ''})`,
  };
}

/** What the cached probe result this run takes (not a stale too small id range) could not learn: not probed again on every run. */
function untestedInCache(input: DetectInput, cached: ReturnType<EngineSource['cache']['read']> | undefined): readonly FactKey[] {
  const probe = cached?.entry?.probe;
  return input.reprobe === false && probe !== undefined && probe.findings.idRange?.value.enough !== false ? (probe.untested ?? []) : [];
}

/** The probe container, when a fact it learns is still unknown and it may run; its findings go to the cache. */
async function fromProbe(
  input: DetectInput,
  facts: Facts,
  unknownWhy: Partial<Record<keyof Facts, string>>,
  untested: readonly FactKey[],
): Promise<Step> {
  const { config, engine } = input;
  if (!engine) return { skip: NO_ENGINE };
  if (known(facts, PROBED_KEYS)) return { skip: 'every fact it learns is already known' };
  // A probe in werf's native container cannot see /dev/fuse; the image may lack a tool: what it could not learn is not probed on every run.
  if (
    known(
      facts,
      PROBED_KEYS.filter((k) => !untested.includes(k)),
    )
  )
    return { skip: `the cached probe could not learn ${untested.join(', ')} (--reprobe probes again)` };
  if (!config.detect.probe) return { skip: 'detect.probe is false' };
  if ('skip' in engine.probe) return { skip: engine.probe.skip };
  if ('defer' in engine.probe) return { skip: engine.probe.defer, deferred: true };
  input.onProbe?.();
  const result = await engine.probe.run(input.target);
  Object.assign(unknownWhy, result.unknown);
  if (result.error) return { fail: result.error };
  const at = new Date().toISOString();
  const missed = PROBED_KEYS.filter((k) => result.findings[k] === undefined);
  engine.cache.update((entry) => ({ ...entry, probe: { at, image: input.target.image, findings: result.findings, untested: missed } }));
  return { findings: result.findings, detail: `probe container in ${input.target.image}` };
}

export async function detect(input: DetectInput): Promise<Detection> {
  const { config, engine } = input;
  const cached = engine?.cache.read();
  const key = modeKey(input.target.image, config.volumes.storage);
  const unknownWhy: Partial<Record<keyof Facts, string>> = {};

  const steps: { source: FactSource; learn(facts: Facts): Promise<Step> }[] = [
    {
      source: 'override',
      learn: async () => {
        const findings = findingsFromOverrides(config.detect);
        const names = Object.keys(findings);
        return names.length ? { findings, detail: `detect.${names.join(', detect.')}` } : { skip: 'no detect.* override set' };
      },
    },
    {
      source: 'info',
      learn: async () => (engine ? { findings: findingsFromInfo(engine.info), detail: `/info of ${engine.url}` } : { skip: NO_ENGINE }),
    },
    {
      source: 'cache',
      learn: async () => fromCache(input, cached),
    },
    {
      source: 'probe',
      learn: async (facts) => fromProbe(input, facts, unknownWhy, untestedInCache(input, cached)),
    },
  ];

  let facts = unknownFacts();
  const tried: SourceOutcome[] = [];
  let probeDeferred = false;
  for (const step of steps) {
    const result = await step.learn(facts);
    if ('skip' in result) probeDeferred ||= result.deferred === true;
    if ('skip' in result) tried.push({ source: step.source, outcome: 'skipped', detail: result.skip });
    else if ('fail' in result) tried.push({ source: step.source, outcome: 'failed', detail: result.fail });
    else {
      facts = mergeFindings(facts, step.source, result.findings);
      tried.push({ source: step.source, outcome: 'used', detail: result.detail });
    }
  }
  for (const name of Object.keys(facts) as (keyof Facts)[]) {
    if (facts[name].value !== undefined) continue;
    facts = {
      ...facts,
      [name]: {
        value: undefined,
        source: undefined,
        detail: unknownWhy[name] ?? `unknown: ${tried.map((t) => `${t.source} ${t.outcome} (${t.detail})`).join('; ')}`,
      },
    };
  }
  const remembered = input.reprobe !== false ? undefined : cached?.entry?.modes?.[key]?.mode;
  return { facts, tried, remembered, probeDeferred };
}
