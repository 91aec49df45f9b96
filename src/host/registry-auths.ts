/**
 * The registry credentials werf gets: resolved on this host from
 * DOCKER_AUTH_CONFIG and the docker CLI's config.json (helpers run here),
 * handed in as a generated config.json with only `auths` (mode 0600, a secret
 * file: its content is never printed nor written to this host's disk).
 */
import path from 'node:path';
import type { InjectedFile } from '../plan/files.js';
import { listCredentialHelper, runCredentialHelper } from './cred-helper.js';
import { authsConfigJson, registriesInRun, resolveHandover } from './handover-auth.js';
import { authSources, type DockerSetup } from './docker-setup.js';
import { dockerConfigFlag } from '../plan/input-paths.js';

export interface RegistryAuthsForWerf {
  /** The generated config.json, or undefined when no registry has credentials. */
  file: InjectedFile | undefined;
  /** Its directory in the container (for WERF_DOCKER_CONFIG/DOCKER_CONFIG). */
  dir: string;
  notes: string[];
}

export async function registryAuthsForWerf(input: {
  setup: DockerSetup;
  env: Readonly<Record<string, string | undefined>>;
  werfArgs: readonly string[];
  /** Where werf's relative paths (--docker-config) start. */
  cwd: string;
  image: string;
  /** The image user's home, where werf looks for .docker/config.json. */
  home: string;
}): Promise<RegistryAuthsForWerf> {
  const { setup, env } = input;
  const handed = await resolveHandover({
    sources: authSources(setup, env, 'werf', dockerConfigFlag(input.werfArgs, input.cwd)),
    wanted: registriesInRun(input.werfArgs, env, input.image),
    runHelper: runCredentialHelper,
    listHelper: listCredentialHelper,
  });
  const dir = path.posix.join(input.home, '.docker');
  const count = Object.keys(handed.auths).length;
  if (count === 0) return { file: undefined, dir, notes: [...handed.notes, 'registry auth: no credentials to hand to werf'] };
  const injected: InjectedFile = {
    path: path.posix.join(dir, 'config.json'),
    content: authsConfigJson(handed.auths),
    mode: 0o600,
    secret: true,
  };
  return {
    file: injected,
    dir,
    notes: [
      ...handed.notes,
      `registry auth: ${count} registr${count === 1 ? 'y' : 'ies'} handed to werf as ${injected.path} (plain auths, mode 0600)`,
    ],
  };
}
