/** Validating one config layer and describing what is wrong with it: the key path, what was found, what is allowed, and the nearest key (load.ts). */
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import { parseWithJsonSchema } from './fast-parse.js';
import { allowedKeysAt, configJsonSchema } from './keys.js';
import { nearest } from './layers.js';
import type { Config } from './schema.js';
import { isSecretName } from './secrets.js';
import { quoteCapped } from './quote.js';

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

export function valueAt(input: unknown, keyPath: readonly PropertyKey[]): unknown {
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
export function show(value: unknown, secret = false): string {
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

/**
 * Validates one layer; `source` names it in the message ("/p/.werfrunrc.json", "the environment").
 * A valid layer is checked without zod (fast-parse.ts); zod is loaded to explain an invalid one.
 */
export async function validateConfig(raw: unknown, source: string, sources?: Readonly<Record<string, string>>): Promise<Config> {
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
