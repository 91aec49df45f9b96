import { describe, expect, it } from 'vitest';
import { classifyPullError, pullRemedy } from './pull-errors.js';

describe('classifyPullError', () => {
  // The engine messages seen on the rig and from public registries.
  it.each([
    ['Head "http://127.0.0.1:5001/v2/werf/werf/manifests/2-stable": no basic auth credentials', 'unauthorized'],
    ['pulling 127.0.0.1:5001/werf/werf:2-stable failed: unauthorized: authentication required', 'unauthorized'],
    ['manifest for 127.0.0.1:5000/werf/werf:9-nope not found: manifest unknown: manifest unknown', 'not-found'],
    // Seen inside the pull stream, after "Pulling fs layer", when a layer is missing in the registry.
    ['pulling 127.0.0.1:5077/broken/busybox:1 failed: unknown blob', 'broken-image'],
    ['toomanyrequests: You have reached your pull rate limit.', 'rate-limited'],
    ['Get "https://ghcr.io/v2/": dial tcp: lookup ghcr.io: no such host', 'unreachable'],
    ['http: server gave HTTP response to HTTPS client', 'insecure'],
  ])('%s: %s', (message, kind) => {
    expect(classifyPullError(message)).toBe(kind);
  });

  const input = { reference: 'r.io/w:2', registry: 'r.io' };
  it.each([
    ['rejected credentials: where they came from', 'unauthorized', 'DOCKER_AUTH_CONFIG', 'credentials from DOCKER_AUTH_CONFIG'],
    ['no credentials: how to log in', 'unauthorized', undefined, 'docker login r.io'],
    ['an unknown tag', 'not-found', undefined, 'check the tag'],
  ] as const)('the remedy for %s', (_what, kind, authSource, expected) => {
    expect(pullRemedy(kind, { ...input, authSource })).toContain(expected);
  });

  it('an unreachable registry (offline, behind a mirror) names image.repository, the mirror and --image, not --pull never', () => {
    const remedy = pullRemedy('unreachable', {
      reference: 'ghcr.io/werf/werf:2-stable-alpine',
      registry: 'ghcr.io',
      authSource: undefined,
    });
    expect(remedy).toMatch(
      /^the engine cannot reach ghcr\.io \(offline, or only a mirror is reachable\): .*image\.repository \(werf's mirror registry\.werf\.io\/werf\/werf, or your own mirror\) or --image <reference>/,
    );
    expect(remedy).not.toContain('--pull never');
  });
});
