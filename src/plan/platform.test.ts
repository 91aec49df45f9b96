import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { checkPlatforms, requestedPlatforms } from './platform.js';

describe("werf's --platform", () => {
  it('is the flag (repeated or comma-separated), else WERF_PLATFORM, else DOCKER_DEFAULT_PLATFORM', () => {
    expect(
      requestedPlatforms(['build', '--platform', 'linux/arm64', '--platform=linux/amd64,linux/arm/v7'], { WERF_PLATFORM: 'linux/s390x' }),
    ).toEqual(['linux/arm64', 'linux/amd64', 'linux/arm/v7']);
    expect(requestedPlatforms(['build'], { WERF_PLATFORM: 'linux/s390x', DOCKER_DEFAULT_PLATFORM: 'linux/arm64' })).toEqual([
      'linux/s390x',
    ]);
    expect(requestedPlatforms(['build'], { DOCKER_DEFAULT_PLATFORM: 'linux/arm64' })).toEqual(['linux/arm64']);
    expect(requestedPlatforms(['build', '--', '--platform', 'x'], {})).toEqual([]);
  });
});

describe('checkPlatforms: the host must run every architecture asked for', () => {
  it("the host's own architecture needs no handler", () => {
    expect(() => checkPlatforms(['linux/amd64', 'linux/386'], 'x86_64', [])).not.toThrow();
    expect(() => checkPlatforms(['linux/arm64/v8'], 'aarch64', [])).not.toThrow();
  });
  it('another architecture needs its qemu handler', () => {
    expect(() => checkPlatforms(['linux/arm64'], 'x86_64', ['qemu-aarch64', 'qemu-arm'])).not.toThrow();
    let error: unknown;
    try {
      checkPlatforms(['linux/amd64', 'linux/arm64'], 'x86_64', ['qemu-arm']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(
      '--platform linux/arm64: the Docker host is amd64 and its kernel has no binfmt_misc handler for arm64 (no qemu-aarch64 in /proc/sys/fs/binfmt_misc), so every RUN step would fail with "exec format error"',
    );
    expect((error as UsageError).remedy).toMatch(
      /docker run --rm --privileged multiarch\/qemu-user-static --reset -p yes.*werf-run does not do it|werf-run does not do it.*multiarch/,
    );
  });
});
