/**
 * The config's JSON Schema (input side: defaults are optional), from the zod
 * schema. The bundle (scripts/build.js) replaces this module by the JSON it
 * returns at build time, so that a run neither loads zod nor converts the
 * schema just to know the keys.
 */
import { z } from 'zod';
import type { JsonSchemaNode } from './keys.js';
import { configSchema } from './schema.js';

export function computeConfigJsonSchema(): JsonSchemaNode {
  return z.toJSONSchema(configSchema, { io: 'input' }) as JsonSchemaNode;
}
