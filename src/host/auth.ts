/**
 * Registry credentials for the werf image, from the places the docker CLI
 * uses: credHelpers (per registry), credsStore, then auths in config.json;
 * before those, DOCKER_AUTH_CONFIG (GitLab's convention: a whole docker config
 * as JSON in one variable). The lookup is pure; running a credential helper
 * goes through an injected runner (cred-helper.ts runs the real one).
 * Credentials never appear in messages: only where they came from.
 */
import { WerfRunError } from '../errors.js';
import type { DockerAuthEntry, DockerConfigFile } from '../engine/docker-config.js';
import type { RegistryAuth } from '../engine/port.js';
import { normalizeRegistry, registryHost, serverAddress } from '../plan/reference.js';

function findKey<T>(record: Record<string, T>, host: string): [string, T] | undefined {
  return Object.entries(record).find(([key]) => normalizeRegistry(key) === host);
}

/** What config says about a registry's credentials, before any helper runs. */
export type AuthLookup =
  | { kind: 'helper'; helper: string; serverAddress: string; source: string; fallback?: RegistryAuth }
  | { kind: 'inline'; auth: RegistryAuth; source: string }
  | undefined;

/** Credentials written in an auths entry, or undefined when it holds none (Docker Desktop writes empty ones). */
function authFromEntry(entry: DockerAuthEntry, address: string, where: string): RegistryAuth | undefined {
  if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress: address };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) {
      throw new WerfRunError(`the "auth" value for ${address} in ${where} is not base64 of "user:password"`, {
        remedy: `log in again (docker login ${address}) or fix the entry`,
      });
    }
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: address };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password, serveraddress: address };
  return undefined;
}

/** Where the credentials for `host` are, according to one docker config (pure). */
export function lookupAuth(config: DockerConfigFile, host: string, where: string): AuthLookup {
  const address = serverAddress(host);
  const entry = findKey(config.auths, host);
  const inline = entry ? authFromEntry(entry[1], address, where) : undefined;
  const helper = findKey(config.credHelpers, host);
  if (helper)
    return {
      kind: 'helper',
      helper: helper[1],
      serverAddress: address,
      source: `credHelpers["${helper[0]}"] in ${where}`,
      fallback: inline,
    };
  if (config.credsStore)
    return { kind: 'helper', helper: config.credsStore, serverAddress: address, source: `credsStore in ${where}`, fallback: inline };
  if (inline && entry) return { kind: 'inline', auth: inline, source: `auths["${entry[0]}"] in ${where}` };
  return undefined;
}

/** A credential helper's answer: credentials, or "not found" (its normal reply for an unknown registry). */
type HelperAnswer = { username: string; secret: string } | 'not-found';
export type HelperRunner = (helper: string, serverAddress: string, source: string) => Promise<HelperAnswer>;

export interface ResolvedAuth {
  auth: RegistryAuth | undefined;
  /** Where the credentials came from (safe to print), or why there are none. */
  source: string;
}

/** The first source that knows `host`; a helper with no entry falls back to that file's auths, then to the next source. */
export async function findCredentials(
  host: string,
  configs: readonly { config: DockerConfigFile; where: string }[],
  runHelper: HelperRunner,
): Promise<{ auth: RegistryAuth; source: string } | { auth: undefined; skipped: string[] }> {
  const skipped: string[] = [];
  for (const { config, where } of configs) {
    const found = lookupAuth(config, host, where);
    if (!found) continue;
    if (found.kind === 'inline') return { auth: found.auth, source: found.source };
    const answer = await runHelper(found.helper, found.serverAddress, found.source);
    if (answer !== 'not-found') {
      const auth: RegistryAuth =
        answer.username === '<token>'
          ? { identitytoken: answer.secret, serveraddress: found.serverAddress }
          : { username: answer.username, password: answer.secret, serveraddress: found.serverAddress };
      return { auth, source: `docker-credential-${found.helper} (${found.source})` };
    }
    if (found.fallback) return { auth: found.fallback, source: `auths in ${where} (docker-credential-${found.helper} had none)` };
    skipped.push(`docker-credential-${found.helper} (${found.source}) has none`);
  }
  return { auth: undefined, skipped };
}

/**
 * The credentials for pulling `reference`: DOCKER_AUTH_CONFIG first (when it
 * names the registry), then the docker config file.
 */
export async function resolveAuth(
  reference: string,
  configs: readonly { config: DockerConfigFile; where: string }[],
  runHelper: HelperRunner,
): Promise<ResolvedAuth> {
  const host = registryHost(reference);
  const found = await findCredentials(host, configs, runHelper);
  if (found.auth) return found;
  return { auth: undefined, source: `no credentials for ${host} in ${configs.map((c) => c.where).join(' or ')}: pulling anonymously` };
}
