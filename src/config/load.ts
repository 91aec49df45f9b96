/**
 * Reading the per-project config. werf-run looks for one file from the working
 * directory up to the project's git root (never above it, and never in a
 * user-wide directory such as ~/.config/werfrun: the same checkout must behave
 * the same on a laptop and in CI). cosmiconfig parses the file; the schema
 * validates it and each layer above it (WERF_RUN_* environment, flags)
 * separately, so every message names where the bad value came from: the file
 * path, the variable or the flag, with the key path, what was found and what
 * is allowed.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
import { FLAG_SOURCES } from './layers.js';
import type { Config } from './schema.js';
import { realpathOr, type ProjectTrust } from './consent.js';
import { findGrants, isCodeConfig, type Grant } from './trust.js';
import { assertBounded } from './bounds.js';
import { findConfigFile } from './find.js';
import { readConfigFile } from './read.js';
import { valueAt, show, validateConfig } from './describe.js';

export interface LoadedConfig {
  config: Config;
  /** The file it came from, or undefined when none was found. */
  filepath: string | undefined;
  /** Key path -> the flag or variable that set it last (keys the file or the defaults set are absent). */
  origins: Readonly<Record<string, string>>;
  /** A project file that is code or grants something, and how the user consented to it. */
  consented?: { by: string; grants: Grant[]; code: boolean };
}

/**
 * Where a key's value came from, and how to set it to `value` there: its flag
 * (`--pull`: `use --pull missing`), its variable (`WERF_RUN_PULL (image.pull)`:
 * `set WERF_RUN_PULL=missing`), else the config file (`image.pull in FILE`:
 * `set image.pull to "missing" in FILE`); with neither it is the default, changed by
 * its flag when it has one. For fixes that name the place the user wrote the value.
 */
export function settingSource(
  origins: Readonly<Record<string, string>>,
  filepath: string | undefined,
  keyPath: string,
  value: string,
): { name: string; change: string } {
  const origin = origins[keyPath];
  if (origin?.startsWith('-')) return { name: origin, change: `use ${origin} ${value}` };
  if (origin) return { name: `${origin} (${keyPath})`, change: `set ${origin}=${value}` };
  if (filepath) return { name: `${keyPath} in ${filepath}`, change: `set ${keyPath} to ${JSON.stringify(value)} in ${filepath}` };
  const flag = FLAG_SOURCES[keyPath];
  return {
    name: `${keyPath} (the default)`,
    change: flag ? `use ${flag} ${value}` : `set ${keyPath} to ${JSON.stringify(value)} in a config file`,
  };
}

/** A layer above the file (environment, flags): its values and how to name a key's origin. */
export interface ConfigLayer {
  /** E.g. "the environment" or "command-line flags". */
  name: string;
  values: Record<string, unknown>;
  /** Key path (dotted, no array indices) -> e.g. "WERF_RUN_MODE" or "--mode". */
  sources?: Readonly<Record<string, string>>;
}

export interface LoadConfigInput {
  cwd: string;
  /** Search stops here (the project's git root). */
  stopDir: string;
  /** --config PATH (relative to cwd). */
  explicitPath?: string;
  /** Layers applied on top of the file, lowest first (environment, then flags). */
  overlays?: readonly ConfigLayer[];
  /**
   * The user's consent to what a project's file grants and to its code
   * (trust.ts, consent.ts): a file found in the project, or given with
   * --config inside it, is loaded as code and its grants count only with it.
   * Without `trust` every file counts (the library's callers decide themselves).
   */
  trust?: { check: ProjectTrust; projectRoot: string };
}

/** Deep-merges plain objects; arrays and scalars of later layers replace earlier ones. */
function mergeLayers(...layers: readonly Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      const prev = out[key];
      out[key] =
        value && typeof value === 'object' && !Array.isArray(value) && prev && typeof prev === 'object' && !Array.isArray(prev)
          ? mergeLayers(prev as Record<string, unknown>, value as Record<string, unknown>)
          : value;
    }
  }
  return out;
}

export async function loadConfig(input: LoadConfigInput): Promise<LoadedConfig> {
  const filepath = input.explicitPath ? path.resolve(input.cwd, input.explicitPath) : await findConfigFile(input.cwd, input.stopDir);
  // A file the user named outside the project is theirs; one found in the project (or named inside it) is the project's.
  const guard =
    input.trust && filepath && (!input.explicitPath || isInside(realpathOr(input.trust.projectRoot), realpathOr(filepath)))
      ? input.trust
      : undefined;
  let consented: LoadedConfig['consented'];
  if (guard && filepath && isCodeConfig(filepath)) {
    // Decided before anything loads it: loading a code config runs it.
    const answer = guard.check.consent(filepath);
    if (!answer.by) {
      throw new UsageError(
        `the project's config ${filepath} is code (JavaScript or TypeScript): loading it would run it on this machine, which only you may allow; it was not loaded and nothing was started${changedNote(answer.changedSince)}`,
        `read it, then ${guard.check.ways(filepath)}; or write the config as JSON or YAML (.werfrunrc.json)`,
      );
    }
    consented = { by: answer.by, grants: [], code: true };
  }
  let fileConfig: unknown = filepath ? await readConfigFile(filepath) : {};
  fileConfig ??= {};
  // Before anything walks it: validation, merging and messages all recurse.
  if (filepath) assertBounded(fileConfig, filepath);
  if (typeof fileConfig !== 'object' || Array.isArray(fileConfig) || fileConfig === null) {
    throw new UsageError(
      `invalid werf-run config in ${filepath}: (top level) is ${show(fileConfig)}; expected an object of settings`,
      'make the file hold one object, e.g. { "image": { "channel": "ea" } }',
    );
  }
  // Each layer alone first, so a bad value is blamed on the layer it came from.
  const fromFile = filepath ? await validateConfig(fileConfig, filepath) : undefined;
  for (const layer of input.overlays ?? []) await validateConfig(layer.values, layer.name, layer.sources);
  const merged = mergeLayers(fileConfig as Record<string, unknown>, ...(input.overlays ?? []).map((l) => l.values));
  const origins: Record<string, string> = {};
  for (const layer of input.overlays ?? []) {
    for (const [keyPath, source] of Object.entries(layer.sources ?? {})) {
      if (valueAt(layer.values, keyPath.split('.')) !== undefined) origins[keyPath] = source;
    }
  }
  if (guard && filepath && fromFile && !consented) consented = checkGrants(filepath, fromFile, origins, guard);
  // A problem only the merged config shows is still named by the flag or variable that set it.
  const config = await validateConfig(merged, filepath ?? 'defaults, environment and flags', origins);
  return consented ? { config, filepath, origins, consented } : { config, filepath, origins };
}

function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

function changedNote(since: string | undefined): string {
  return since ? ` (you trusted it on ${since}, but it has changed since)` : '';
}

/** The file's grants count with the user's consent; without it, one error naming each (nothing has been started yet). */
function checkGrants(
  filepath: string,
  fromFile: Config,
  origins: Readonly<Record<string, string>>,
  guard: NonNullable<LoadConfigInput['trust']>,
): LoadedConfig['consented'] {
  const grants = findGrants(fromFile, {
    projectRoot: guard.projectRoot,
    realpath: realpathOr,
    setByUser: (keyPath) => keyPath in origins,
    get imageRepositories() {
      return guard.check.userConfig().imageRepositories;
    },
  });
  if (grants.length === 0) return undefined;
  const answer = guard.check.consent(filepath);
  if (answer.by) return { by: answer.by, grants, code: false };
  const keys = [...new Set(grants.map((g) => g.key.replace(/\[\d+\]$/, '')))];
  throw new UsageError(
    `the project's config ${filepath} grants what only you may grant: ${grants.map((g) => `${g.key} ${g.value} (${g.grants})`).join('; ')}${changedNote(answer.changedSince)}; nothing was started`,
    `read it, then ${guard.check.ways(filepath)}; or remove ${keys.join(', ')} from it`,
  );
}
