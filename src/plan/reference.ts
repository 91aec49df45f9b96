/**
 * Docker image reference syntax (distribution/reference's grammar), to reject
 * a malformed image.reference before the engine does it with a vaguer message.
 */
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?`;
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const name = `(?:${domain}/)?${pathComponent}(?:/${pathComponent})*`;
const tag = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const REFERENCE = new RegExp(`^(${name})(?::(${tag}))?(?:@(${DIGEST}))?$`);
const REPOSITORY = new RegExp(`^${name}$`);
const TAG = new RegExp(`^${tag}$`);
const BARE_DIGEST = new RegExp(`^${DIGEST}$`);

export interface ParsedReference {
  name: string;
  tag?: string;
  digest?: string;
}

/** The parts of a reference, or undefined when it is malformed. */
export function parseReference(reference: string): ParsedReference | undefined {
  const match = REFERENCE.exec(reference);
  if (!match?.[1] || match[1].length > 255) return undefined;
  return { name: match[1], tag: match[2], digest: match[3] };
}

export const isRepository = (value: string): boolean => REPOSITORY.test(value);
export const isTag = (value: string): boolean => TAG.test(value);
export const isBareDigest = (value: string): boolean => BARE_DIGEST.test(value);

// Registry hosts as the docker CLI names them (for pulls, credential lookups and handed-in auths).
const DOCKER_HUB = 'docker.io';
/** The key the docker CLI stores Docker Hub credentials under, and sends as serveraddress. */
const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** The registry host of an image reference, "docker.io" for Docker Hub names (like the docker CLI). */
export function registryHost(reference: string): string {
  const name = reference.split('@')[0] ?? reference;
  const slash = name.indexOf('/');
  if (slash < 0) return DOCKER_HUB;
  const first = name.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
    return normalizeRegistry(first);
  }
  return DOCKER_HUB;
}

/** "https://index.docker.io/v1/" -> "docker.io"; "http://reg:5000/v2/" -> "reg:5000". */
export function normalizeRegistry(key: string): string {
  const host = key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}

/** The address a credential helper and the engine expect for a registry. */
export function serverAddress(host: string): string {
  return host === DOCKER_HUB ? DOCKER_HUB_SERVER : host;
}
