/**
 * The config's JSON Schema (input side: defaults are optional), from the zod
 * schema. The bundle (scripts/build.js) replaces this module by the JSON it
 * returns at build time, so that a run neither loads zod nor converts the
 * schema just to know the keys.
 */
import { z } from 'zod';
import { configSchema } from './schema.js';

/** The JSON Schema subset zod emits for werf-run's config. */
export interface JsonSchemaNode {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: boolean | JsonSchemaNode;
  items?: JsonSchemaNode;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  pattern?: string;
}

export function computeConfigJsonSchema(): JsonSchemaNode {
  return z.toJSONSchema(configSchema, { io: 'input' }) as JsonSchemaNode;
}
