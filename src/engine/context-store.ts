/**
 * The docker CLI's context store: a context named N lives in
 * <config dir>/contexts/meta/<sha256(N)>/meta.json, its TLS material in
 * <config dir>/contexts/tls/<sha256(N)>/docker/{ca,cert,key}.pem.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { UsageError, errorMessage } from '../errors.js';
import type { ReadText } from './docker-config.js';
import type { Endpoint } from './port.js';

/** The directory name the store uses for a context: the hex sha256 of its name. */
export function contextDirName(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

export function contextMetaFile(configDir: string, name: string): string {
  return path.join(configDir, 'contexts', 'meta', contextDirName(name), 'meta.json');
}

export function contextTlsDir(configDir: string, name: string): string {
  return path.join(configDir, 'contexts', 'tls', contextDirName(name), 'docker');
}

interface ContextMeta {
  Name?: string;
  Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } };
}

export interface ContextStoreAccess {
  configDir: string;
  readText: ReadText;
  exists(file: string): boolean;
  /** Names of the contexts in the store, for the message when one is missing. */
  listNames(): string[];
}

/**
 * The endpoint of context `name` (not "default", which is no stored context).
 * `source` says how the context was chosen, e.g. "DOCKER_CONTEXT".
 */
export function resolveContext(name: string, source: string, store: ContextStoreAccess): Endpoint {
  const metaFile = contextMetaFile(store.configDir, name);
  const text = store.readText(metaFile);
  const from = `docker context "${name}" (from ${source})`;
  if (text === undefined) {
    const known = ['default', ...store.listNames()].join(', ');
    throw new UsageError(
      `${from} does not exist: no ${metaFile}`,
      `choose an existing context (${known}): docker context ls, or unset ${source}`,
    );
  }
  let meta: ContextMeta;
  try {
    meta = JSON.parse(text) as ContextMeta;
  } catch (error) {
    throw new UsageError(
      `${from}: ${metaFile} is not valid JSON: ${errorMessage(error)}`,
      `recreate it: docker context rm ${name}; docker context create ${name} ...`,
    );
  }
  const docker = meta.Endpoints?.docker;
  if (!docker?.Host) {
    throw new UsageError(`${from} has no docker endpoint in ${metaFile}`, `docker context update ${name} --docker host=...`);
  }
  const tlsDir = contextTlsDir(store.configDir, name);
  const file = (base: string): string | undefined => {
    const full = path.join(tlsDir, base);
    return store.exists(full) ? full : undefined;
  };
  const [caFile, certFile, keyFile] = [file('ca.pem'), file('cert.pem'), file('key.pem')];
  const hasTls = Boolean(caFile || certFile || keyFile);
  return {
    url: docker.Host,
    source: `docker context "${name}" (${source})`,
    ...(hasTls || docker.SkipTLSVerify ? { tls: { caFile, certFile, keyFile, verify: !docker.SkipTLSVerify } } : {}),
  };
}
