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
import { stat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import type { z } from 'zod';
import { UsageError, WerfRunError, errorMessage } from '../errors.js';
import { commonJs } from '../interop.js';
import { parseWithJsonSchema } from './fast-parse.js';
import { jsonErrorDetail, jsonErrorOffset, yamlErrorOffset } from './json-error.js';
import { allowedKeysAt, configJsonSchema } from './keys.js';
import { nearest, FLAG_SOURCES } from './layers.js';
import { nativeImport } from './native-import.js';
import type { Config } from './schema.js';
import { isSecretName, maskSecretsInText } from './secrets.js';
import { loadTypeScriptConfig } from './ts-loader.js';
import { realpathOr, type ProjectTrust } from './consent.js';
import { findGrants, isCodeConfig, type Grant } from './trust.js';
import { capText, quoteCapped } from './quote.js';
import { assertBounded } from './bounds.js';

const MODULE_NAME = 'werfrun';

/** The file forms, in the order they are looked for in each directory. */
const SEARCH_PLACES = [
  'package.json',
  '.werfrunrc',
  '.werfrunrc.json',
  '.werfrunrc.yaml',
  '.werfrunrc.yml',
  '.werfrunrc.js',
  '.werfrunrc.cjs',
  '.werfrunrc.mjs',
  '.werfrunrc.ts',
  'werfrun.config.js',
  'werfrun.config.cjs',
  'werfrun.config.mjs',
  'werfrun.config.ts',
] as const;

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
 * How a message names a key: by the flag that set it (`--image`), by the
 * variable and the key (`WERF_RUN_MODE (mode)`), else by the key path.
 */
export function keyName(origins: Readonly<Record<string, string>> | undefined): (keyPath: string) => string {
  return (keyPath) => {
    const origin = origins?.[keyPath];
    if (!origin) return keyPath;
    return origin.startsWith('-') ? origin : `${origin} (${keyPath})`;
  };
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

function valueAt(input: unknown, keyPath: readonly PropertyKey[]): unknown {
  let node: unknown = input;
  for (const key of keyPath) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** "a string", "an object". */
function withArticle(kind: string): string {
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
}

/** A value as a message shows it: JSON and its kind, never a secret (`secret`: it sits under a secret-looking name). */
function show(value: unknown, secret = false): string {
  if (value === undefined) return 'missing';
  const kind = Array.isArray(value) ? 'a list' : value === null ? 'null' : withArticle(typeof value);
  return `${quoteCapped(value, secret)} (${kind})`;
}

/**
 * Unknown keys at one place: "unknown key imgae (did you mean image?); allowed: ...",
 * or named by the flag that gave them ("--detect fuseDevic=missing: unknown key fuseDevic ...").
 */
function describeUnknownKeys(keys: readonly string[], path: readonly PropertyKey[], name: (keyPath: string) => string): string {
  const dotted = path.map(String).join('.');
  const plain = path
    .filter((p) => typeof p !== 'number')
    .map(String)
    .join('.');
  const allowed = allowedKeysAt(path);
  const prefix = (key: string, at: string): string => (at ? `${at}.${key}` : key);
  const meant = (key: string, at: string): string => {
    const close = nearest(key, allowed);
    return close ? ` (did you mean ${prefix(close, at)}?)` : '';
  };
  const byFlag = keys.filter((key) => name(prefix(key, plain)).startsWith('-'));
  const inFile = keys.filter((key) => !byFlag.includes(key));
  const parts = [
    ...(inFile.length > 0 ? [`unknown key ${inFile.map((key) => `${prefix(key, dotted)}${meant(key, dotted)}`).join(', ')}`] : []),
    ...byFlag.map((key) => `${name(prefix(key, plain))}: unknown key ${key}${meant(key, '')}`),
  ];
  return `${parts.join('; ')}; allowed${dotted && inFile.length > 0 ? ` in ${dotted}` : ''}: ${allowed.join(', ')}`;
}

/** One issue as "<key> is <found>; <allowed>". `name` turns a key path into what the user wrote. */
function describeIssue(issue: z.core.$ZodIssue, input: unknown, name: (keyPath: string) => string = (k) => k): string {
  const dotted = issue.path.map(String).join('.');
  const plain = issue.path
    .filter((p) => typeof p !== 'number')
    .map(String)
    .join('.');
  const key = dotted ? (name(plain) === plain ? dotted : name(plain)) : '(top level)';
  const found = show(
    valueAt(input, issue.path),
    issue.path.some((p) => typeof p === 'string' && isSecretName(p)),
  );
  switch (issue.code) {
    case 'unrecognized_keys':
      return describeUnknownKeys(issue.keys, issue.path, name);
    case 'invalid_value':
      return `${key} is ${found}; allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_type':
      return `${key} is ${found}; expected ${issue.expected === 'array' ? 'a list' : withArticle(issue.expected)}`;
    default:
      return `${key} is ${found}; ${issue.message.replace(/^Too (big|small): expected \w+ to (be|have) /, 'allowed: ')}`;
  }
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

/**
 * Validates one layer; `source` names it in the message ("/p/.werfrunrc.json", "the environment").
 * A valid layer is checked without zod (fast-parse.ts); zod is loaded to explain an invalid one.
 */
async function validateConfig(raw: unknown, source: string, sources?: Readonly<Record<string, string>>): Promise<Config> {
  const fast = parseWithJsonSchema(configJsonSchema(), raw);
  if (fast !== undefined) return fast as Config;
  const { configSchema } = await import('./schema.js');
  const parsed = configSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => describeIssue(issue, raw, keyName(sources)));
  throw new UsageError(
    `invalid werf-run config in ${source}: ${problems.join('; ')}`,
    configFix(parsed.error.issues, source, keyName(sources)),
  );
}

const VALUE_FIX = 'fix the value (werfrunrc.example.json shows every key, werfrun.schema.json their types)';

/** The fix of an invalid layer: an unknown key is renamed or removed where it was written (the file, or its flag); a bad value is fixed. */
function configFix(issues: readonly z.core.$ZodIssue[], source: string, name: (keyPath: string) => string): string {
  const unknown = issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => name([...issue.path.filter((p) => typeof p !== 'number').map(String), key].join('.')))
      : [],
  );
  if (unknown.length === 0) return VALUE_FIX;
  const flags = unknown.filter((n) => n.startsWith('-'));
  const where = flags.length === unknown.length ? flags.join(', ') : source;
  const rename = `rename or remove the ${unknown.length > 1 ? 'keys' : 'key'} in ${where}`;
  return issues.every((issue) => issue.code === 'unrecognized_keys') ? rename : `${rename}, and ${VALUE_FIX}`;
}

/** The directories searched: cwd, then each parent up to and including stopDir (only cwd when it is outside stopDir). */
export function searchDirs(cwd: string, stopDir: string): string[] {
  const start = path.resolve(cwd);
  const stop = path.resolve(stopDir);
  const relative = path.relative(stop, start);
  // Only a real `..` segment leads out: a directory named `..dots` is inside.
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) return [start];
  const dirs = [start];
  let dir = start;
  while (dir !== stop) {
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dirs.push(parent);
    dir = parent;
  }
  return dirs;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** A package.json counts only when it has a `werfrun` key. */
async function packageHasConfig(file: string): Promise<boolean> {
  const text = await readFile(file, 'utf8').catch(() => '');
  try {
    const pkg = JSON.parse(text) as unknown;
    return pkg !== null && typeof pkg === 'object' && MODULE_NAME in pkg;
  } catch {
    // A broken package.json is npm's problem, unless it meant to configure us.
    return text.includes(`"${MODULE_NAME}"`);
  }
}

/** The first config file from cwd up to stopDir, or undefined. */
export async function findConfigFile(cwd: string, stopDir: string): Promise<string | undefined> {
  for (const dir of searchDirs(cwd, stopDir)) {
    for (const place of SEARCH_PLACES) {
      const file = path.join(dir, place);
      if (!(await isFile(file))) continue;
      if (place === 'package.json' && !(await packageHasConfig(file))) continue;
      return file;
    }
  }
  return undefined;
}

/** A .js, .mjs or .cjs config: its default export (module.exports for CommonJS), as cosmiconfig's own loader gives it. */
async function loadJavaScriptConfig(filepath: string): Promise<unknown> {
  return ((await nativeImport(pathToFileURL(filepath).href)) as { default?: unknown }).default;
}

/** The largest config file werf-run reads: its settings take a few hundred bytes. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** The text of a data (JSON or YAML) config file; a missing, directory or huge one is a UsageError. */
async function readDataText(file: string): Promise<string> {
  let size: number;
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = st.size;
  } catch (error) {
    throw fileError(file, error);
  }
  if (size > MAX_CONFIG_BYTES) {
    throw new UsageError(
      `config file ${file} is ${size} bytes; a werf-run config is at most ${MAX_CONFIG_BYTES} bytes`,
      "keep only werf-run's settings in it (a few lines)",
    );
  }
  return readFile(file, 'utf8').catch((error: unknown) => {
    throw fileError(file, error);
  });
}

/** A file that cannot be read, named with the fix. */
function fileError(file: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UsageError(`config file ${file} does not exist`, 'check the --config path', error);
  if (code === 'EISDIR') return new UsageError(`config file ${file} is a directory`, 'give --config the path of a file', error);
  return new UsageError(`cannot read config file ${file}: ${errorMessage(error)}`, `make ${file} a file this user may read`, error);
}

/**
 * Parses one file (any form) into its raw value; undefined for an empty file.
 * Data files (JSON, YAML, package.json) are parsed here, with cosmiconfig's
 * own parsers but not its loader: that one follows a `$import` key to other
 * files, code included, before werf-run could check anything. Only code
 * configs, which the user consented to (trust.ts), go through cosmiconfig.
 */
async function readConfigFile(file: string): Promise<unknown> {
  if (isCodeConfig(file)) return loadCodeConfig(file);
  const text = await readDataText(file);
  if (text.trim() === '') return undefined;
  const ext = path.extname(file);
  // The common .json file: one that does not parse is told here (json-error.ts).
  if (ext === '.json' && path.basename(file) !== 'package.json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new UsageError(
        `cannot load config file ${file}: ${await jsonSyntaxDetail(text, errorMessage(error))}`,
        'fix the syntax so that the file parses',
        error,
      );
    }
  }
  if (ext !== '.json' && ext !== '' && ext !== '.yaml' && ext !== '.yml') {
    throw new UsageError(
      `config file ${file} has a form werf-run cannot read (${ext})`,
      'use JSON or YAML (any name without an extension, .json, .yaml, .yml), or JavaScript/TypeScript (.js, .cjs, .mjs, .ts)',
    );
  }
  const { defaultLoaders } = commonJs(await import('cosmiconfig'), 'defaultLoaders');
  try {
    // cosmiconfig reads a name without an extension as YAML (which JSON is too).
    if (ext === '.json') return ((await defaultLoaders['.json'](file, text)) as Record<string, unknown> | null)?.[MODULE_NAME] ?? undefined;
    return await defaultLoaders['.yaml'](file, text);
  } catch (error) {
    const detail = maskSecretsInText(parseErrorDetail(errorMessage(error), (error as { codeFrame?: unknown }).codeFrame));
    throw new UsageError(`cannot load config file ${file}: ${capText(detail, 2000)}`, 'fix the syntax so that the file parses', error);
  }
}

/** A JavaScript or TypeScript config (the user consented to running it), through cosmiconfig. */
async function loadCodeConfig(file: string): Promise<unknown> {
  const { cosmiconfig } = commonJs(await import('cosmiconfig'), 'cosmiconfig');
  const explorer = cosmiconfig(MODULE_NAME, {
    searchStrategy: 'none',
    searchPlaces: [...SEARCH_PLACES],
    cache: false,
    // JavaScript configs through nativeImport too (cosmiconfig's own import() would be a require() in the CLI's bundle).
    loaders: { '.ts': loadTypeScriptConfig, '.js': loadJavaScriptConfig, '.mjs': loadJavaScriptConfig, '.cjs': loadJavaScriptConfig },
  });
  try {
    const result = await explorer.load(file);
    return result?.config;
  } catch (error) {
    if (error instanceof WerfRunError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') throw fileError(file, error);
    const detail = maskSecretsInText(parseErrorDetail(errorMessage(error), (error as { codeFrame?: unknown }).codeFrame));
    throw new UsageError(
      `cannot load config file ${file}: ${capText(detail, 2000)}`,
      'fix the code so that it runs and exports the config as its default export',
      error,
    );
  }
}

/**
 * JSON.parse's reason with the line, column and code frame: from V8's offset
 * when its message has one, else from the yaml package (loaded only here: it
 * is a chunk of its own, which no valid config loads).
 */
async function jsonSyntaxDetail(text: string, message: string): Promise<string> {
  let offset = jsonErrorOffset(message);
  if (offset === undefined) {
    offset = yamlErrorOffset(text, commonJs(await import('yaml'), 'parseDocument').parseDocument);
    // yaml marks where the bad value starts; V8 names the character it stopped at (nat… fails at 'a'): point there when it is on that line.
    const token = /^Unexpected token '(.)'/u.exec(message)?.[1];
    if (offset !== undefined && token !== undefined) {
      const lineEnd = text.indexOf('\n', offset);
      const found = text.slice(offset, lineEnd < 0 ? undefined : lineEnd).indexOf(token);
      if (found >= 0) offset += found;
    }
  }
  // The frame shows the file's lines: secrets starred out (character for character: the caret stays right).
  return jsonErrorDetail(maskSecretsInText(text), message, offset);
}

/**
 * A parser's message without cosmiconfig's header, as the reason then one code
 * frame. parse-json (JSON) repeats its frame and quotes the whole text after
 * "while parsing"; both go. Where the terminal (or CI) supports colours the
 * parser colours its frame: the message is plain text, so the colours go too.
 */
function parseErrorDetail(coloured: string, colouredFrame?: unknown): string {
  const text = stripVTControlCharacters(coloured).replace(/^(JSON|YAML) Error in [^:\n]+:\s*/, '');
  const codeFrame = typeof colouredFrame === 'string' ? stripVTControlCharacters(colouredFrame) : undefined;
  if (codeFrame === undefined || codeFrame === '') return text.trim();
  const reason = text
    .split(codeFrame)
    .join('')
    .trim()
    .replace(/ while parsing (near )?(['"]).*$/s, '');
  return `${reason}\n\n${codeFrame}`;
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
