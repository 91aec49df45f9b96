/**
 * The docker CLI's own config: where it lives ($DOCKER_CONFIG, else
 * ~/.docker) and the parts werf-run reads from config.json (currentContext,
 * auths, credHelpers, credsStore). Parsing is pure; reading takes an injected
 * file reader so tests pass fixtures.
 */
import path from 'node:path';
import { UsageError, errorMessage } from '../errors.js';

export interface DockerAuthEntry {
  /** base64 of "user:password". */
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export interface DockerConfigFile {
  currentContext?: string;
  auths: Record<string, DockerAuthEntry>;
  credHelpers: Record<string, string>;
  credsStore?: string;
  /** The docker CLI's proxies for containers, keyed by daemon host or "default" (docker/cli configfile). */
  proxies?: Record<string, Record<string, string>>;
}

/** Reads a text file, or returns undefined when it does not exist. Other errors throw. */
export type ReadText = (file: string) => string | undefined;

export interface HostPaths {
  env: Readonly<Record<string, string | undefined>>;
  home: string;
}

/** $DOCKER_CONFIG, else ~/.docker (the docker CLI's config directory). */
export function dockerConfigDir({ env, home }: HostPaths): string {
  return env.DOCKER_CONFIG || path.join(home, '.docker');
}

const stringRecord = (value: unknown): Record<string, string> =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'))
    : {};

/** Parses config.json text; `source` names the file (or variable) in messages. */
export function parseDockerConfig(text: string, source: string): DockerConfigFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // Never echo the parser's message: it may quote the text, and the text holds credentials.
    const position = /position (\d+)/.exec(errorMessage(error))?.[1];
    throw new UsageError(`${source} is not valid JSON${position ? ` (error at position ${position})` : ''}`, `fix or remove ${source}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UsageError(`${source} does not hold a JSON object`, `fix or remove ${source}`);
  }
  const obj = raw as Record<string, unknown>;
  const auths: Record<string, DockerAuthEntry> = {};
  if (obj.auths && typeof obj.auths === 'object') {
    for (const [key, value] of Object.entries(obj.auths as Record<string, unknown>)) {
      if (value && typeof value === 'object') auths[key] = stringRecord(value) as DockerAuthEntry;
    }
  }
  return {
    currentContext: typeof obj.currentContext === 'string' && obj.currentContext ? obj.currentContext : undefined,
    auths,
    credHelpers: stringRecord(obj.credHelpers),
    credsStore: typeof obj.credsStore === 'string' && obj.credsStore ? obj.credsStore : undefined,
    ...(obj.proxies && typeof obj.proxies === 'object' && !Array.isArray(obj.proxies)
      ? {
          proxies: Object.fromEntries(
            Object.entries(obj.proxies as Record<string, unknown>).map(([host, value]) => [host, stringRecord(value)]),
          ),
        }
      : {}),
  };
}

const EMPTY_DOCKER_CONFIG: DockerConfigFile = { auths: {}, credHelpers: {} };

/** config.json of the docker CLI, or an empty config when there is none. */
export function readDockerConfig(configDir: string, readText: ReadText): { config: DockerConfigFile; file: string } {
  const file = path.join(configDir, 'config.json');
  const text = readText(file);
  return { config: text === undefined ? EMPTY_DOCKER_CONFIG : parseDockerConfig(text, file), file };
}
