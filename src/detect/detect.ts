/**
 * Detection: a list of small sources of facts, tried in order (override, info,
 * cache, probe). Each says what it learned or why it did not apply; earlier
 * sources win. The probe container runs only when a fact it learns is still
 * unknown, and what it learns goes into the cache for the next run.
 */
import type { Config, Mode } from '../config/schema.js';
import type { Engine, EngineInfo } from '../engine/port.js';
import { modeKey, type DaemonCache } from './cache.js';
import {
  PROBED_KEYS,
  findingsFromInfo,
  findingsFromOverrides,
  mergeFindings,
  unknownFacts,
  type FactSource,
  type Facts,
  type Findings,
} from './facts.js';
import type { ProbeOutcome, ProbeTarget } from './probe-script.js';

export interface DetectInput {
  engine: Engine;
  info: EngineInfo;
  config: Config;
  cache: DaemonCache;
  /** --reprobe: ignore the cached facts and the remembered mode. */
  reprobe: boolean;
  /** false for --dry-run: create no container. */
  mayProbe: boolean;
  target: ProbeTarget;
  /** Runs the probe container (run/probe.ts); detection only decides whether to. */
  probe(target: ProbeTarget): Promise<ProbeOutcome>;
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
  probed: boolean;
}

type Step = { findings: Findings; detail: string } | { skip: string } | { fail: string; findings?: Findings };

const known = (facts: Facts, keys: readonly (keyof Facts)[]): boolean => keys.every((k) => facts[k].value !== undefined);

export async function detect(input: DetectInput): Promise<Detection> {
  const { config } = input;
  const cached = input.cache.read();
  const key = modeKey(input.target.image, config.volumes.storage);
  let probed = false;
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
    { source: 'info', learn: async () => ({ findings: findingsFromInfo(input.info), detail: `/info of ${input.engine.endpoint.url}` }) },
    {
      source: 'cache',
      learn: async () => {
        if (input.reprobe) return { skip: '--reprobe' };
        if (!cached.entry) return { skip: cached.why };
        if (!cached.entry.probe) return { skip: `cache ${input.cache.file} holds no probe result` };
        return { findings: cached.entry.probe.findings, detail: `${input.cache.file} (probed ${cached.entry.probe.at} in ${cached.entry.probe.image})` };
      },
    },
    {
      source: 'probe',
      learn: async (facts) => {
        if (known(facts, PROBED_KEYS)) return { skip: 'every fact it learns is already known' };
        if (!config.detect.probe) return { skip: 'detect.probe is false' };
        if (!input.mayProbe) return { skip: '--dry-run creates no container' };
        input.onProbe?.();
        probed = true;
        const result = await input.probe(input.target);
        Object.assign(unknownWhy, result.unknown);
        if (result.error) return { fail: result.error };
        const at = new Date().toISOString();
        input.cache.update((entry) => ({ ...entry, probe: { at, image: input.target.image, findings: result.findings } }));
        return { findings: result.findings, detail: `probe container in ${input.target.image}` };
      },
    },
  ];

  let facts = unknownFacts();
  const tried: SourceOutcome[] = [];
  for (const step of steps) {
    const result = await step.learn(facts);
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
      [name]: { value: undefined, source: undefined, detail: unknownWhy[name] ?? `unknown: ${tried.map((t) => `${t.source} ${t.outcome} (${t.detail})`).join('; ')}` },
    };
  }
  const remembered = input.reprobe ? undefined : cached.entry?.modes?.[key]?.mode;
  return { facts, tried, remembered, probed };
}
