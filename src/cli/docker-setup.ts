/**
 * The docker CLI's world as werf-run reads it on this machine: the config dir,
 * config.json, the context store and DOCKER_AUTH_CONFIG, wired into engine
 * discovery and registry auth.
 */
import os from 'node:os';
import type { Config } from '../config/schema.js';
import { readTextIfExists } from '../files.js';
import { dockerConfigDir, parseDockerConfig, readDockerConfig, type DockerConfigFile } from '../engine/docker-config.js';
import type { DiscoveryFacts } from '../engine/candidates.js';
import { localContextStore } from '../engine/local-store.js';
import { resolveAuth } from '../run/auth.js';
import { runCredentialHelper } from '../run/cred-helper.js';
import type { AuthProvider } from '../run/pull.js';

export interface DockerSetup {
  configDir: string;
  configFile: string;
  config: DockerConfigFile;
}

export function readDockerSetup(env: Readonly<Record<string, string | undefined>>): DockerSetup {
  const configDir = dockerConfigDir({ env, home: env.HOME || os.homedir() });
  const { config, file } = readDockerConfig(configDir, readTextIfExists);
  return { configDir, configFile: file, config };
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
    home: env.HOME || os.homedir(),
    currentContext: setup.config.currentContext ? { name: setup.config.currentContext, file: setup.configFile } : undefined,
    store: localContextStore(setup.configDir),
  };
}

/** DOCKER_AUTH_CONFIG (GitLab's convention) first, then the docker CLI's config.json. */
export function authProvider(setup: DockerSetup, env: Readonly<Record<string, string | undefined>>, reference: string): AuthProvider {
  return () => {
    const configs = [];
    if (env.DOCKER_AUTH_CONFIG) configs.push({ config: parseDockerConfig(env.DOCKER_AUTH_CONFIG, 'DOCKER_AUTH_CONFIG'), where: 'DOCKER_AUTH_CONFIG' });
    configs.push({ config: setup.config, where: setup.configFile });
    return resolveAuth(reference, configs, runCredentialHelper);
  };
}
