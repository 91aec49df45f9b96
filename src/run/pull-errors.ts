/**
 * What a failed pull means and what fixes it (pure). The engine's message is
 * kept as it is; the remedy depends on its class and on whether werf-run sent
 * credentials (and from where).
 */
export type PullFailureKind = 'unauthorized' | 'not-found' | 'broken-image' | 'rate-limited' | 'unreachable' | 'insecure' | 'other';

export function classifyPullError(message: string): PullFailureKind {
  if (/toomanyrequests|rate limit/i.test(message)) return 'rate-limited';
  if (
    /unauthorized|authentication required|no basic auth credentials|access.* denied|denied: |401 Unauthorized|incorrect username or password/i.test(
      message,
    )
  )
    return 'unauthorized';
  if (
    /manifest unknown|manifest for .* not found|not found: manifest|name unknown|repository .* not found|: not found$|404 Not Found/i.test(
      message,
    )
  )
    return 'not-found';
  if (/unknown blob|blob unknown|filesystem layer verification failed|digest did not match/i.test(message)) return 'broken-image';
  if (/server gave HTTP response to HTTPS client|x509|certificate/i.test(message)) return 'insecure';
  if (
    /connection refused|no such host|i\/o timeout|network is unreachable|dial tcp|TLS handshake timeout|context deadline exceeded/i.test(
      message,
    )
  )
    return 'unreachable';
  return 'other';
}

export interface PullRemedyInput {
  reference: string;
  registry: string;
  /** Where the credentials came from, or undefined when werf-run pulled anonymously. */
  authSource: string | undefined;
}

export function pullRemedy(kind: PullFailureKind, input: PullRemedyInput): string {
  const { reference, registry, authSource } = input;
  switch (kind) {
    case 'unauthorized':
      return authSource
        ? `the registry refused the credentials from ${authSource}: log in again (docker login ${registry}) or fix them there`
        : `log in to ${registry} (docker login ${registry}, a credential helper, or DOCKER_AUTH_CONFIG); werf-run uses the docker CLI's credentials`;
    case 'not-found':
      return `${reference} does not exist in ${registry}: check the tag (werf's tags: <group>-<channel>[-<distro>], <version>[-<distro>], latest) or image.reference`;
    case 'broken-image':
      return `${registry} serves ${reference} but not all of its layers: push the image again, or choose another tag`;
    case 'rate-limited':
      return `log in to ${registry} to raise the limit, or use the mirror (image.repository: registry.werf.io/werf/werf)`;
    case 'insecure':
      return `the engine and ${registry} disagree on TLS: add the registry to the daemon's insecure-registries (Podman: registries.conf) or fix its certificate`;
    case 'unreachable':
      // Offline, or a network that reaches only a mirror: the fix is another registry, not another pull policy.
      return `the engine cannot reach ${registry} (offline, or only a mirror is reachable): take werf's image from a registry the engine reaches, with image.repository (werf's mirror registry.werf.io/werf/werf, or your own mirror) or --image <reference>; or fix the daemon host's network and proxy`;
    case 'other':
      return `try the same pull by hand: docker pull ${reference}`;
  }
}
