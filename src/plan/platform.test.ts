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
    expect(() => checkPlatforms(['linux/amd64', 'linux/386'], 'x86_64', { handlers: [] })).not.toThrow();
    expect(() => checkPlatforms(['linux/arm64/v8'], 'aarch64', { handlers: [] })).not.toThrow();
  });
  it('another architecture needs its qemu handler', () => {
    expect(() => checkPlatforms(['linux/arm64'], 'x86_64', { handlers: ['qemu-aarch64', 'qemu-arm'] })).not.toThrow();
    let error: unknown;
    try {
      checkPlatforms(['linux/amd64', 'linux/arm64'], 'x86_64', { handlers: ['qemu-arm'] });
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

describe("checkPlatforms with the probe's test programs (any engine, local or remote)", () => {
  const ran = { runs: true, detail: 'its test program exited 42' };
  const failed = { runs: false, detail: 'exit 126: sh: 40: /tmp/tmp.x/arm64: Exec format error' };
  const thrown = (f: () => unknown): UsageError => {
    try {
      f();
    } catch (e) {
      return e as UsageError;
    }
    throw new Error('did not throw');
  };
  it("an arm64 program that did not run, while the host's own did: stops with the evidence and the F-flag fix", () => {
    const error = thrown(() => checkPlatforms(['linux/arm64'], 'x86_64', { programs: { amd64: ran, arm64: failed } }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(
      '--platform linux/arm64: the Docker host is amd64 and runs no arm64 program in a container (the probe\'s arm64 test program: exit 126: sh: 40: /tmp/tmp.x/arm64: Exec format error): its kernel has no binfmt_misc handler for arm64 registered with the F flag (qemu-aarch64), so every RUN step would fail with "exec format error"',
    );
    expect(error.remedy).toContain('-p yes');
  });
  it('the program beats a handler list: a handler without the F flag is listed but cannot run in a container', () => {
    expect(() =>
      checkPlatforms(['linux/arm64'], 'x86_64', { programs: { amd64: ran, arm64: failed }, handlers: ['qemu-aarch64'] }),
    ).toThrow(/runs no arm64 program/);
    expect(checkPlatforms(['linux/arm64'], 'x86_64', { programs: { amd64: ran, arm64: ran }, handlers: [] })).toEqual([]);
  });
  it("an arm64 host runs amd64 programs through its handler (the test is the host's control the other way round)", () => {
    expect(checkPlatforms(['linux/amd64'], 'aarch64', { programs: { amd64: ran, arm64: ran } })).toEqual([]);
    expect(() => checkPlatforms(['linux/amd64'], 'aarch64', { programs: { amd64: failed, arm64: ran } })).toThrow(
      /arm64 and runs no amd64 program/,
    );
  });
  it("when the host's own program did not run either, the test says nothing: the handlers decide, else nothing does", () => {
    const noexec = { amd64: failed, arm64: failed };
    expect(checkPlatforms(['linux/arm64'], 'x86_64', { programs: noexec })).toEqual(['linux/arm64']);
    expect(() => checkPlatforms(['linux/arm64'], 'x86_64', { programs: noexec, handlers: [] })).toThrow(/no qemu-aarch64/);
  });
  it('an architecture with no test program and no handler list is left undecided (returned, not refused)', () => {
    expect(checkPlatforms(['linux/s390x', 'linux/amd64'], 'x86_64', { programs: { amd64: ran, arm64: failed } })).toEqual(['linux/s390x']);
  });
});
