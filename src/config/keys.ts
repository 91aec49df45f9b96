/**
 * Every setting as a flat list, derived from the one zod schema through its
 * JSON Schema: the key table in docs/, the WERF_RUN_* variables, the example
 * file's completeness test and the "allowed keys" of error messages all come
 * from here, so a key added to schema.ts shows up everywhere by itself.
 */
import { computeConfigJsonSchema, type JsonSchemaNode } from './json-schema.js';

type KeyKind = 'string' | 'enum' | 'boolean' | 'integer' | 'number' | 'string[]' | 'object[]' | 'map';

export interface ConfigKey {
  /** Dotted path; items of an array of objects read `mounts[].source`. */
  path: string;
  kind: KeyKind;
  /** Allowed values of an enum. */
  values?: string[];
  default?: unknown;
  description: string;
  /** The WERF_RUN_* variable that sets it, when it can come from the environment. */
  envVar?: string;
  /** Human-readable bounds, e.g. "1..5". */
  bounds?: string;
}

let cached: JsonSchemaNode | undefined;

/** The JSON Schema of a config file (input side: defaults are optional); json-schema.ts. */
export function configJsonSchema(): JsonSchemaNode {
  cached ??= computeConfigJsonSchema();
  return cached;
}

/** Keys that the environment cannot set: `$schema` is for editors, `$comment` for people. */
const NOT_FROM_ENV = new Set(['$schema', '$comment']);

/** Old short names, kept as aliases of the generated ones. */
export const ENV_ALIASES: Readonly<Record<string, string>> = {
  WERF_RUN_IMAGE: 'image.reference',
  WERF_RUN_PULL: 'image.pull',
  WERF_RUN_DOCKER_HOST: 'engine.host',
};

/** `image.channel` -> `WERF_RUN_IMAGE_CHANNEL`, `allowPrivileged` -> `WERF_RUN_ALLOW_PRIVILEGED`. */
function envVarFor(path: string): string {
  return `WERF_RUN_${path
    .split('.')
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
    .join('_')}`;
}

function bounds(node: JsonSchemaNode): string | undefined {
  const max = node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER ? node.maximum : undefined;
  const min = node.minimum ?? (node.exclusiveMinimum !== undefined ? node.exclusiveMinimum + 1 : undefined);
  if (min === undefined && max === undefined) return undefined;
  if (max === undefined) return `>= ${min}`;
  if (min === undefined) return `<= ${max}`;
  return `${min}..${max}`;
}

function kindOf(node: JsonSchemaNode): KeyKind | undefined {
  if (node.enum) return 'enum';
  switch (node.type) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'array':
      return node.items?.type === 'object' ? 'object[]' : 'string[]';
    case 'object':
      return node.properties ? undefined : 'map';
    default:
      return undefined;
  }
}

function walk(node: JsonSchemaNode, prefix: string, inArray: boolean, out: ConfigKey[]): void {
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    const kind = kindOf(child);
    if (kind === undefined) {
      walk(child, path, inArray, out);
      continue;
    }
    const key: ConfigKey = { path, kind, description: child.description ?? '' };
    if (child.enum) key.values = child.enum.map(String);
    if (child.default !== undefined) key.default = child.default;
    const b = bounds(child);
    if (b) key.bounds = b;
    const settable = kind !== 'object[]' && kind !== 'map';
    if (!inArray && settable && !NOT_FROM_ENV.has(path)) key.envVar = envVarFor(path);
    out.push(key);
    if (kind === 'object[]' && child.items) walk(child.items, `${path}[]`, true, out);
  }
}

/** Every key of the config, in the schema's order. */
export function configKeys(schema: JsonSchemaNode = configJsonSchema()): ConfigKey[] {
  const out: ConfigKey[] = [];
  walk(schema, '', false, out);
  return out;
}

/** The keys an object at `path` accepts (for "unknown key" messages); `[]` for the top level. */
export function allowedKeysAt(path: readonly PropertyKey[], schema: JsonSchemaNode = configJsonSchema()): string[] {
  let node: JsonSchemaNode | undefined = schema;
  for (const part of path) {
    if (!node) return [];
    node = typeof part === 'number' ? node.items : node.properties?.[String(part)];
  }
  return Object.keys(node?.properties ?? {});
}
