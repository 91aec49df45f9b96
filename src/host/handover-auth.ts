/**
 * Registry credentials handed to werf as plain `auths`. Credential helpers
 * (credsStore, credHelpers) run on this host, where they are installed; the
 * werf image has none of them, and werf (go-containerregistry's keychain)
 * fails every pull and push when config.json names a helper it cannot run.
 * So werf-run asks the helpers here, for every registry the run may touch,
 * and gives werf a config.json holding only `auths`.
 * Helpers run through injected runners (cred-helper.ts runs the real ones);
 * credentials never appear in notes: only registries and where they came from.
 */
import type { DockerAuthEntry, DockerConfigFile } from '../engine/docker-config.js';
import type { RegistryAuth } from '../engine/port.js';
import { REPO_FLAGS, REPO_VARIABLES } from '../plan/network.js';
import { findCredentials, type HelperRunner } from './auth.js';
import { normalizeRegistry, registryHost, serverAddress } from '../plan/reference.js';

export interface AuthSource {
  config: DockerConfigFile;
  /** The file or variable the config came from (safe to print). */
  where: string;
}

/** `docker-credential-<helper> list`: the server URLs the helper holds credentials for. */
export type HelperLister = (helper: string, source: string) => Promise<string[]>;

/** A registry the run may touch, and why (for notes). */
export interface WantedRegistry {
  host: string;
  why: string;
}

/** The registries named by werf's repo options and variables, and the werf image's own (pure). */
export function registriesInRun(
  werfArgs: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  image: string,
): WantedRegistry[] {
  const wanted: WantedRegistry[] = [{ host: registryHost(image), why: `the werf image ${image}` }];
  werfArgs.forEach((arg, index) => {
    if (werfArgs.indexOf('--') >= 0 && index > werfArgs.indexOf('--')) return;
    for (const flag of REPO_FLAGS) {
      const value = arg === flag ? werfArgs[index + 1] : arg.startsWith(`${flag}=`) ? arg.slice(flag.length + 1) : undefined;
      if (value) wanted.push({ host: repoHost(value), why: `${flag} ${value}` });
    }
  });
  for (const [name, value] of Object.entries(env)) {
    if (value && REPO_VARIABLES.test(name)) wanted.push({ host: repoHost(value), why: `${name}=${value}` });
  }
  return wanted;
}

/** A repository ("127.0.0.1:5000/app", "ghcr.io/o/p", "app") -> its registry host. */
function repoHost(repo: string): string {
  // A repo has no tag; registryHost() reads the part before the first slash the same way.
  return registryHost(repo.includes('/') ? repo : `${repo}/x`);
}

export interface HandedAuths {
  /** config.json `auths`, keyed as go-containerregistry looks them up ("https://index.docker.io/v1/" for Docker Hub). */
  auths: Record<string, DockerAuthEntry>;
  /** Registry by registry: where its credentials came from, or why it has none (safe to print). */
  notes: string[];
}

function entryFor(auth: RegistryAuth): DockerAuthEntry {
  if (auth.identitytoken) return { identitytoken: auth.identitytoken };
  return { auth: Buffer.from(`${auth.username ?? ''}:${auth.password ?? ''}`).toString('base64') };
}

/**
 * Every registry the configs know of (auths and credHelpers keys, what each
 * credsStore lists) and every wanted one, resolved on this host. A helper
 * that fails stops the run (the runner's error names it, the registry and its
 * output); a registry a helper does not know is skipped with a note.
 */
export async function resolveHandover(input: {
  sources: readonly AuthSource[];
  wanted: readonly WantedRegistry[];
  runHelper: HelperRunner;
  listHelper: HelperLister;
}): Promise<HandedAuths> {
  const { sources } = input;
  const why = new Map<string, string>();
  const add = (host: string, reason: string) => {
    if (!why.has(host)) why.set(host, reason);
  };
  for (const { host, why: reason } of input.wanted) add(host, reason);
  const notes: string[] = [];
  for (const { config, where } of sources) {
    for (const key of Object.keys(config.auths)) add(normalizeRegistry(key), `auths in ${where}`);
    for (const key of Object.keys(config.credHelpers)) add(normalizeRegistry(key), `credHelpers in ${where}`);
    if (config.credsStore) {
      const source = `credsStore in ${where}`;
      try {
        for (const url of await input.listHelper(config.credsStore, source))
          add(normalizeRegistry(url), `docker-credential-${config.credsStore} list`);
      } catch (error) {
        // Listing only finds more registries: the wanted ones are still asked for one by one.
        notes.push(
          `docker-credential-${config.credsStore} list failed (${(error as Error).message}); asking it only for the registries this run names`,
        );
      }
    }
  }

  const auths: Record<string, DockerAuthEntry> = {};
  for (const [host, reason] of [...why].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const found = await findCredentials(host, sources, input.runHelper);
    if (found.auth) {
      auths[serverAddress(host)] = entryFor(found.auth);
      notes.push(`registry auth for ${host} (${reason}): from ${found.source}`);
    } else {
      const skipped = found.skipped.length > 0 ? `skipped, ${found.skipped.join('; ')}` : 'none on this host, anonymous';
      notes.push(`registry auth for ${host} (${reason}): ${skipped}`);
    }
  }
  return { auths, notes };
}

/** The config.json werf gets: only `auths` (no helper for werf to run). */
export function authsConfigJson(auths: Record<string, DockerAuthEntry>): Buffer {
  return Buffer.from(`${JSON.stringify({ auths }, null, 2)}\n`);
}
