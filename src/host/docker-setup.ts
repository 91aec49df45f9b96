/**
 * The docker CLI's world as werf-run reads it on this machine: the config dir,
 * config.json, the context store and DOCKER_AUTH_CONFIG, wired into engine
 * discovery and registry auth.
 */
import type { Config } from '../config/schema.js';
import { readTextIfExists } from '../files.js';
import { dockerConfigDir, parseDockerConfig, readDockerConfig, type DockerConfigFile } from '../engine/docker-config.js';
import type { DiscoveryFacts } from '../engine/candidates.js';
import { listDirNames, localContextStore } from '../engine/local-store.js';
import { resolveAuth } from './auth.js';
import { runCredentialHelper } from './cred-helper.js';
import type { AuthSource } from './handover-auth.js';
import type { AuthProvider } from '../run/pull.js';

export interface DockerSetup {
  configDir: string;
  configFile: string;
  config: DockerConfigFile;
  /** The home the docker CLI would use: HOME, else the OS's. */
  home: string;
}

/** `home`: the user's home from the OS (the CLI's context); HOME, when set, wins, as for the docker CLI. */
export function readDockerSetup(env: Readonly<Record<string, string | undefined>>, home: string): DockerSetup {
  const configDir = dockerConfigDir({ env, home: env.HOME || home });
  const { config, file } = readDockerConfig(configDir, readTextIfExists);
  return { configDir, configFile: file, config, home: env.HOME || home };
}

/** What engine discovery needs to know about this machine's docker setup. */
export function discoveryFacts(
  setup: DockerSetup,
  engineConfig: Pick<Config['engine'], 'host' | 'context'>,
  env: Readonly<Record<string, string | undefined>>,
  origins: Readonly<Record<string, string>> = {},
): DiscoveryFacts {
  return {
    explicitHost: engineConfig.host,
    explicitContext: engineConfig.context,
    explicitFrom: { host: origins['engine.host'], context: origins['engine.context'] },
    env,
    home: setup.home,
    currentContext: setup.config.currentContext ? { name: setup.config.currentContext, file: setup.configFile } : undefined,
    store: localContextStore(setup.configDir),
    listDir: listDirNames,
  };
}

/**
 * Where registry credentials come from, in order: DOCKER_AUTH_CONFIG (GitLab's
 * convention), then a config.json: the docker CLI's, or for werf the one of
 * the directory werf's `--docker-config` names, else WERF_DOCKER_CONFIG when
 * set (werf reads them before DOCKER_CONFIG: cmd/werf/common/common.go:594-609
 * SetupDockerConfig).
 */
export function authSources(
  setup: DockerSetup,
  env: Readonly<Record<string, string | undefined>>,
  reader: 'engine' | 'werf',
  /** werf's --docker-config, absolute (plan/input-paths.ts dockerConfigFlag). */
  werfDockerConfig?: string,
  read: (file: string) => string | undefined = readTextIfExists,
): AuthSource[] {
  const sources: AuthSource[] = [];
  if (env.DOCKER_AUTH_CONFIG)
    sources.push({ config: parseDockerConfig(env.DOCKER_AUTH_CONFIG, 'DOCKER_AUTH_CONFIG'), where: 'DOCKER_AUTH_CONFIG' });
  const werfDir = reader === 'werf' ? werfDockerConfig || env.WERF_DOCKER_CONFIG : undefined;
  const file = werfDir ? readDockerConfig(werfDir, read) : { config: setup.config, file: setup.configFile };
  sources.push({ config: file.config, where: file.file });
  return sources;
}

/** The engine's pull of `reference`: credentials from authSources, helpers run here. */
export function authProvider(setup: DockerSetup, env: Readonly<Record<string, string | undefined>>, reference: string): AuthProvider {
  return () => resolveAuth(reference, authSources(setup, env, 'engine'), runCredentialHelper);
}
