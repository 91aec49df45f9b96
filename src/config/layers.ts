/**
 * The layers above the config file: WERF_RUN_* environment variables, then
 * flags. Each returns a partial config in the file's shape, so one schema
 * validates all of them and messages name the same keys.
 */
import type { CliOptions } from '../cli/args.js';

function bool(name: string, value: string | undefined): boolean | string | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  return `${value} (from ${name})`;
}

/** WERF_RUN_<KEY> for the settings users most often set per CI job. */
export function envLayer(env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const int = (value: string | undefined): number | string | undefined =>
    value === undefined || value === '' ? undefined : /^\d+$/.test(value) ? Number(value) : value;
  return {
    mode: env.WERF_RUN_MODE || undefined,
    allowPrivileged: bool('WERF_RUN_ALLOW_PRIVILEGED', env.WERF_RUN_ALLOW_PRIVILEGED),
    maxAttempts: int(env.WERF_RUN_MAX_ATTEMPTS),
    network: env.WERF_RUN_NETWORK || undefined,
    user: env.WERF_RUN_USER || undefined,
    engine: { host: env.WERF_RUN_DOCKER_HOST || undefined },
    image: {
      reference: env.WERF_RUN_IMAGE || undefined,
      pull: env.WERF_RUN_PULL || undefined,
      group: env.WERF_RUN_IMAGE_GROUP || undefined,
      channel: env.WERF_RUN_IMAGE_CHANNEL || undefined,
      distro: env.WERF_RUN_IMAGE_DISTRO || undefined,
    },
  };
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

export function flagsLayer(options: CliOptions): Record<string, unknown> {
  return {
    detect: detectFlags(options.detect),
    mode: options.mode,
    allowPrivileged: options.allowPrivileged,
    network: options.network,
    engine: { host: options.host, context: options.context },
    image: { reference: options.image, pull: options.pull },
  };
}
