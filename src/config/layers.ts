/**
 * The layers above the config file: WERF_RUN_* environment variables, then
 * flags. Each returns a partial config in the file's shape, so one schema
 * validates all of them and messages name the same keys. Every scalar key
 * and every list of strings has a variable (see keys.ts: WERF_RUN_ + the key
 * path in upper snake case); lists are comma-separated.
 */
import leven from 'leven';
import { ENV_ALIASES, configJsonSchema, configKeys, type ConfigKey } from './keys.js';
import { TRUST_ENV } from './consent.js';

/** werf-run's variables that set no config key: consent is the user's, never a config file's (consent.ts). */
const NOT_KEYS = [TRUST_ENV];

export interface EnvLayer {
  /** A partial config, e.g. { image: { channel: 'ea' } }. */
  values: Record<string, unknown>;
  /** Key path -> the variable it came from, for messages. */
  sources: Record<string, string>;
  /** WERF_RUN_* variables that set nothing (typos, or other tools' variables). */
  unused: string[];
}

function parseBool(value: string): boolean | string {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  return value; // the schema reports it, naming the variable
}

function parseValue(key: ConfigKey, value: string): unknown {
  switch (key.kind) {
    case 'boolean':
      return parseBool(value);
    case 'integer':
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
    case 'string[]':
      return value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    default:
      return value;
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === undefined || next === null || typeof next !== 'object') node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

/** WERF_RUN_<KEY> for every key the environment can set; empty values count as unset. */
export function envLayer(env: Readonly<Record<string, string | undefined>>, keys: readonly ConfigKey[] = configKeys()): EnvLayer {
  const byVar = new Map<string, ConfigKey>();
  for (const key of keys) if (key.envVar) byVar.set(key.envVar, key);
  const layer: EnvLayer = { values: {}, sources: {}, unused: [] };
  const apply = (name: string, key: ConfigKey): void => {
    const raw = env[name];
    if (raw === undefined || raw === '') return;
    setPath(layer.values, key.path, parseValue(key, raw));
    layer.sources[key.path] = name;
  };
  // Aliases first, so the full name wins when both are set.
  for (const [alias, path] of Object.entries(ENV_ALIASES)) {
    const key = keys.find((k) => k.path === path);
    if (key) apply(alias, key);
  }
  for (const [name, key] of byVar) apply(name, key);
  for (const name of Object.keys(env)) {
    if (name.startsWith('WERF_RUN_') && !byVar.has(name) && !(name in ENV_ALIASES) && !NOT_KEYS.includes(name)) layer.unused.push(name);
  }
  return layer;
}

/**
 * The one closeness rule of werf-run's "did you mean": the candidate nearest
 * to `word` when it is a slip of it, at most two edits and at most half the
 * letters of `word`'s stem (`stem` drops what every candidate shares: the
 * WERF_RUN_ of a variable, the dashes of an option), else undefined. Other
 * tools' names (WERF_RUN_RIG_DIR) and werf's options are too far to be caught.
 */
export function nearest(word: string, candidates: readonly string[], stem: (name: string) => string = (name) => name): string | undefined {
  let best: { meant: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = leven(stem(word), stem(candidate));
    if (!best || distance < best.distance) best = { meant: candidate, distance };
  }
  return best && best.distance <= Math.min(2, Math.floor(stem(word).length / 2)) ? best.meant : undefined;
}

/** The unused WERF_RUN_* variables that look like a slip of a real one (WERF_RUN_MOED for WERF_RUN_MODE), by nearest(). */
export function misspelledEnvVars(unused: readonly string[], known: readonly string[] = ownEnvVars()): { name: string; meant: string }[] {
  const tail = (name: string): string => name.slice('WERF_RUN_'.length);
  return unused.flatMap((name) => {
    const meant = nearest(name, known, tail);
    return meant ? [{ name, meant }] : [];
  });
}

/** The names werf-run reads itself: they are not werf's, so they are not passed to werf. */
export function ownEnvVars(keys: readonly ConfigKey[] = configKeys()): string[] {
  return [...Object.keys(ENV_ALIASES), ...NOT_KEYS, ...keys.flatMap((k) => (k.envVar ? [k.envVar] : []))];
}

/** --detect fuseDevice=missing -> { fuseDevice: 'missing' }; numbers and booleans are typed, the schema checks the rest. */
export function detectFlags(pairs: readonly string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const raw = eq < 0 ? '' : pair.slice(eq + 1);
    out[key] = /^(true|false)$/.test(raw) ? raw === 'true' : /^\d+$/.test(raw) ? Number(raw) : raw;
  }
  return out;
}

/** The command-line flags that set config keys (cli/args.ts's options extend this). */
export interface ConfigFlags {
  mode?: string;
  allowPrivileged?: boolean;
  load?: boolean;
  network?: string;
  host?: string;
  context?: string;
  image?: string;
  pull?: string;
  ciEnv?: string;
  /** --detect FACT=VALUE, repeatable: overrides of detected facts. */
  detect?: string[];
}

export function flagsLayer(options: ConfigFlags): Record<string, unknown> {
  return {
    detect: detectFlags(options.detect),
    mode: options.mode,
    allowPrivileged: options.allowPrivileged,
    load: options.load,
    network: options.network,
    ciEnv: options.ciEnv,
    engine: { host: options.host, context: options.context },
    image: { reference: options.image, pull: options.pull },
  };
}

/** Key path -> the flag that sets it, for messages. */
export const FLAG_SOURCES: Readonly<Record<string, string>> = {
  mode: '--mode',
  allowPrivileged: '--allow-privileged',
  load: '--load',
  network: '--network',
  ciEnv: '--ci-env',
  'engine.host': '--host',
  'engine.context': '--context',
  'image.reference': '--image',
  'image.pull': '--pull',
  ...Object.fromEntries(
    Object.keys(configJsonSchema().properties?.detect?.properties ?? {}).map((key) => [`detect.${key}`, `--detect ${key}`]),
  ),
};

/** FLAG_SOURCES, plus each --detect whose key is no fact, named as given (`--detect fuseDevic=missing`): an unknown key is named by its flag too. */
export function flagSources(options: Pick<ConfigFlags, 'detect'>): Record<string, string> {
  const sources: Record<string, string> = { ...FLAG_SOURCES };
  for (const pair of options.detect ?? []) {
    const key = `detect.${pair.split('=')[0]}`;
    if (!(key in FLAG_SOURCES)) sources[key] = `--detect ${pair}`;
  }
  return sources;
}
