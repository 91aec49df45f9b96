/**
 * Reading the per-project config: cosmiconfig finds the file (from the working
 * directory up to the git root), then the schema validates it. Every problem
 * becomes one UsageError naming the file, the key path, what was found and
 * what is allowed.
 */
import { cosmiconfig } from 'cosmiconfig';
import type { z } from 'zod';
import { UsageError, errorMessage } from '../errors.js';
import { configSchema, type Config } from './schema.js';

export const MODULE_NAME = 'werfrun';

export interface LoadedConfig {
  config: Config;
  /** The file it came from, or undefined when none was found. */
  filepath: string | undefined;
}

export interface LoadConfigInput {
  cwd: string;
  /** Search stops here (the project's git root). */
  stopDir: string;
  /** --config PATH */
  explicitPath?: string;
  /** Layers applied on top of the file, lowest first (environment, then flags). */
  overlays?: readonly Record<string, unknown>[];
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = input;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const key = issue.path.map(String).join('.') || '(top level)';
  const found = JSON.stringify(valueAt(input, issue.path));
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key ${issue.keys.map((k) => (key === '(top level)' ? k : `${key}.${k}`)).join(', ')}`;
    case 'invalid_value':
      return `${key} is ${found}; allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_type':
      return `${key} is ${found ?? 'missing'}; expected ${issue.expected}`;
    default:
      return `${key} is ${found}: ${issue.message}`;
  }
}

/** Deep-merges plain objects; arrays and scalars of later layers replace earlier ones. */
export function mergeLayers(...layers: readonly Record<string, unknown>[]): Record<string, unknown> {
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

export function validateConfig(raw: unknown, source: string): Config {
  const parsed = configSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => describeIssue(issue, raw));
  throw new UsageError(
    `invalid werf-run config in ${source}: ${problems.join('; ')}`,
    'fix the value (werfrunrc.example.json shows every key, werfrun.schema.json their types)',
  );
}

export async function loadConfig(input: LoadConfigInput): Promise<LoadedConfig> {
  const explorer = cosmiconfig(MODULE_NAME, { searchStrategy: 'global', stopDir: input.stopDir, cache: false });
  let result: Awaited<ReturnType<typeof explorer.search>>;
  try {
    result = input.explicitPath ? await explorer.load(input.explicitPath) : await explorer.search(input.cwd);
  } catch (error) {
    const where = input.explicitPath ?? `a werf-run config file under ${input.cwd}`;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new UsageError(`config file ${input.explicitPath} does not exist`, 'check the --config path', error);
    }
    throw new UsageError(`cannot read ${where}: ${errorMessage(error)}`, 'fix the file so that it parses', error);
  }
  const fileConfig = (result?.config ?? {}) as unknown;
  if (fileConfig === null || typeof fileConfig !== 'object' || Array.isArray(fileConfig)) {
    throw new UsageError(`config in ${result?.filepath} is ${JSON.stringify(fileConfig)}; expected an object`, 'make the file hold one object');
  }
  const layers = [fileConfig as Record<string, unknown>, ...(input.overlays ?? [])];
  const merged = mergeLayers(...layers);
  // Name the file in messages; values from env/flags are validated again at parse time by the CLI.
  return { config: validateConfig(merged, result?.filepath ?? 'flags and environment'), filepath: result?.filepath };
}
