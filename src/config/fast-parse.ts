/**
 * The common case without zod: a config layer that satisfies the config's
 * JSON Schema (computed from the zod schema, at build time in the bundle) is
 * checked and given its defaults here, in plain code; zod (and its load time)
 * is needed only to explain a value that does not. Only the JSON Schema
 * keywords werf-run's schema uses are understood: a node with any other
 * keyword is "not sure" and goes to zod, so this can only ever be stricter.
 */
import type { JsonSchemaNode } from './json-schema.js';

const KNOWN = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'enum',
  'default',
  'description',
  'minLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'pattern',
  'format',
  '$schema',
  'title',
  '$id',
]);
const FORMATS = new Set(['starts_with']);

/** A marker for "invalid, or not sure": the caller asks zod. */
const NO = Symbol('no');

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseNode(node: JsonSchemaNode & Record<string, unknown>, value: unknown): unknown {
  for (const key of Object.keys(node)) if (!KNOWN.has(key)) return NO;
  if (typeof node.format === 'string' && !FORMATS.has(node.format)) return NO;
  if (node.enum) return node.enum.some((v) => v === value) ? value : NO;
  switch (node.type) {
    case 'string':
      if (typeof value !== 'string') return NO;
      if (node.minLength !== undefined && value.length < node.minLength) return NO;
      if (node.pattern !== undefined && !new RegExp(node.pattern, 'u').test(value)) return NO;
      return value;
    case 'boolean':
      return typeof value === 'boolean' ? value : NO;
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return NO;
      if (node.type === 'integer' && !Number.isSafeInteger(value)) return NO;
      if (node.minimum !== undefined && value < node.minimum) return NO;
      if (node.maximum !== undefined && value > node.maximum) return NO;
      if (node.exclusiveMinimum !== undefined && value <= node.exclusiveMinimum) return NO;
      return value;
    }
    case 'array': {
      if (!Array.isArray(value) || !node.items) return NO;
      const out: unknown[] = [];
      for (const item of value) {
        const parsed = parseNode(node.items as JsonSchemaNode & Record<string, unknown>, item);
        if (parsed === NO) return NO;
        out.push(parsed);
      }
      return out;
    }
    case 'object':
      return parseObject(node, value);
    default:
      return NO;
  }
}

function parseObject(node: JsonSchemaNode & Record<string, unknown>, value: unknown): unknown {
  if (!isPlainObject(value)) return NO;
  const out: Record<string, unknown> = {};
  if (node.properties) {
    if (node.additionalProperties !== false) return NO;
    for (const key of Object.keys(value)) if (!Object.hasOwn(node.properties, key)) return NO;
    const required = Array.isArray(node.required) ? (node.required as string[]) : [];
    for (const [key, child] of Object.entries(node.properties) as [string, JsonSchemaNode & Record<string, unknown>][]) {
      let given = value[key];
      if (given === undefined) {
        if (child.default === undefined) {
          if (required.includes(key)) return NO;
          continue;
        }
        // A default object still gets its own keys' defaults (zod's prefault); leaves are used as they are.
        given = structuredClone(child.default);
        if (!isPlainObject(given) || child.properties === undefined) {
          out[key] = given;
          continue;
        }
      }
      const parsed = parseNode(child, given);
      if (parsed === NO) return NO;
      out[key] = parsed;
    }
    return out;
  }
  // A record: any string keys, each value of one schema.
  const each = node.additionalProperties;
  if (!isPlainObject(each)) return NO;
  for (const [key, item] of Object.entries(value)) {
    const parsed = parseNode(each as JsonSchemaNode & Record<string, unknown>, item);
    if (parsed === NO) return NO;
    out[key] = parsed;
  }
  return out;
}

/** The value with its defaults when it satisfies the schema; undefined when it does not (or when unsure). */
export function parseWithJsonSchema(schema: JsonSchemaNode, value: unknown): unknown {
  const parsed = parseNode(schema as JsonSchemaNode & Record<string, unknown>, value);
  return parsed === NO ? undefined : parsed;
}
