import { describe, expect, it } from 'vitest';
import { classifyPullError, pullRemedy } from './pull-errors.js';

describe('classifyPullError', () => {
  it('classifies the engine messages seen on the rig and from public registries', () => {
    expect(classifyPullError('Head "http://127.0.0.1:5001/v2/werf/werf/manifests/2-stable": no basic auth credentials')).toBe('unauthorized');
    expect(classifyPullError('pulling 127.0.0.1:5001/werf/werf:2-stable failed: unauthorized: authentication required')).toBe('unauthorized');
    expect(classifyPullError('manifest for 127.0.0.1:5000/werf/werf:9-nope not found: manifest unknown: manifest unknown')).toBe('not-found');
    // Seen inside the pull stream, after "Pulling fs layer", when a layer is missing in the registry.
    expect(classifyPullError('pulling 127.0.0.1:5077/broken/busybox:1 failed: unknown blob')).toBe('broken-image');
    expect(classifyPullError('toomanyrequests: You have reached your pull rate limit.')).toBe('rate-limited');
    expect(classifyPullError('Get "https://ghcr.io/v2/": dial tcp: lookup ghcr.io: no such host')).toBe('unreachable');
    expect(classifyPullError('http: server gave HTTP response to HTTPS client')).toBe('insecure');
  });
  it('says where rejected credentials came from, or how to log in when there were none', () => {
    const input = { reference: 'r.io/w:2', registry: 'r.io' };
    expect(pullRemedy('unauthorized', { ...input, authSource: 'DOCKER_AUTH_CONFIG' })).toContain('credentials from DOCKER_AUTH_CONFIG');
    expect(pullRemedy('unauthorized', { ...input, authSource: undefined })).toContain('docker login r.io');
    expect(pullRemedy('not-found', { ...input, authSource: undefined })).toContain('check the tag');
  });

  it('an unreachable registry (offline, behind a mirror) names image.repository, the mirror and --image, not --pull never', () => {
    const remedy = pullRemedy('unreachable', { reference: 'ghcr.io/werf/werf:2-stable-alpine', registry: 'ghcr.io', authSource: undefined });
    expect(remedy).toMatch(/^the engine cannot reach ghcr\.io \(offline, or only a mirror is reachable\): .*image\.repository \(werf's mirror registry\.werf\.io\/werf\/werf, or your own mirror\) or --image <reference>/);
    expect(remedy).not.toContain('--pull never');
  });
});
