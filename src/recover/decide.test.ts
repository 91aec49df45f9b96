import { describe, expect, it } from 'vitest';
import { decideNext, type DecideInput } from './decide.js';
import { idRange } from '../detect/id-range.js';

const input = (over: Partial<DecideInput>): DecideInput => ({
  failure: 'fuse-not-in-container',
  current: 'native',
  tried: ['native'],
  allowPrivileged: false,
  attemptsLeft: 2,
  ...over,
});

describe('decideNext', () => {
  it.each<[string, Partial<DecideInput>, Record<string, unknown>]>([
    [
      'climbs from the engine default to native when user namespaces are denied',
      { failure: 'userns-denied', current: 'default', tried: ['default'] },
      { action: 'retry', mode: 'native' },
    ],
    ['moves from native to fuse when buildah needs /dev/fuse', {}, { action: 'retry', mode: 'fuse' }],
    ['moves to fuse when detection says /dev/fuse is usable', { fuseDevice: 'usable' }, { action: 'retry', mode: 'fuse' }],
    [
      'does not try fuse when the host has no /dev/fuse, and names the host fix',
      { fuseDevice: 'missing', allowPrivileged: true },
      { action: 'stop', remedy: expect.stringContaining('modprobe fuse') },
    ],
    [
      'does not try fuse when /dev/fuse is not usable, and names the host fix',
      { fuseDevice: 'no-permission', allowPrivileged: true },
      { action: 'stop', remedy: expect.stringContaining('chmod 0666 /dev/fuse') },
    ],
    ['never escalates to privileged without permission', { failure: 'userns-denied' }, { action: 'stop' }],
    [
      'escalates to privileged for denied user namespaces with permission',
      { failure: 'userns-denied', allowPrivileged: true },
      { action: 'retry', mode: 'privileged' },
    ],
    [
      'escalates to privileged for a denied mount with permission',
      { failure: 'mount-denied', allowPrivileged: true },
      { action: 'retry', mode: 'privileged' },
    ],
    ['does not escalate for a failed newuidmap without permission', { failure: 'newuidmap-failed' }, { action: 'stop' }],
    [
      'does not retry privileged twice',
      { failure: 'userns-denied', current: 'privileged', tried: ['native', 'privileged'], allowPrivileged: true },
      { action: 'stop' },
    ],
    [
      'falls back from fuse to native when the host has no /dev/fuse',
      { failure: 'fuse-missing-on-host', current: 'fuse', tried: ['fuse'] },
      { action: 'retry', mode: 'native' },
    ],
    [
      'then stops with the host fix',
      { failure: 'fuse-missing-on-host', current: 'fuse', tried: ['native', 'fuse'], allowPrivileged: true },
      { action: 'stop', remedy: expect.stringContaining('modprobe fuse') },
    ],
    // Only the host can fix these, privileged or not (privileged gets the same /dev/fuse).
    [
      'stops at once for fuse-permission',
      { failure: 'fuse-permission', current: 'fuse', tried: ['native', 'fuse'], allowPrivileged: true },
      { action: 'stop' },
    ],
    [
      'stops at once for userns-disabled',
      { failure: 'userns-disabled', current: 'fuse', tried: ['native', 'fuse'], allowPrivileged: true },
      { action: 'stop' },
    ],
    [
      'stops at once for overlay-on-overlay',
      { failure: 'overlay-on-overlay', current: 'fuse', tried: ['native', 'fuse'], allowPrivileged: true },
      { action: 'stop' },
    ],
    ['stops when attempts run out', { attemptsLeft: 0 }, { action: 'stop' }],
  ])('%s', (_what, over, expected) => {
    expect(decideNext(input(over))).toMatchObject(expected);
  });
});

describe('a forced mode is pinned', () => {
  it('never climbs: where another mode would help, the stop names it as a werf-run setting, not a docker flag', () => {
    const native = decideNext(input({ pinned: true }));
    expect(native).toEqual({
      action: 'stop',
      why: 'buildah uses fuse-overlayfs, which needs /dev/fuse; mode native is forced, so werf-run does not switch modes',
      remedy:
        "run in mode fuse: --mode fuse (or --mode auto, which chooses from the host's facts and recovers), instead of the forced mode native",
    });
    expect(JSON.stringify(native)).not.toContain('--device');
    expect(decideNext(input({ pinned: true, failure: 'userns-denied', current: 'default', tried: ['default'] }))).toMatchObject({
      action: 'stop',
      remedy: expect.stringMatching(/^run in mode native: --mode native /),
    });
    expect(decideNext(input({ pinned: true, failure: 'fuse-missing-on-host', current: 'fuse', tried: ['fuse'] }))).toMatchObject({
      action: 'stop',
      remedy: expect.stringMatching(/^run in mode native: --mode native /),
    });
    expect(decideNext(input({ pinned: true, failure: 'mount-denied', allowPrivileged: true }))).toMatchObject({
      action: 'stop',
      remedy: expect.stringMatching(/--mode privileged --allow-privileged/),
    });
  });

  it('even with one attempt allowed (maxAttempts: 1) it names the mode that would help', () => {
    expect(decideNext(input({ pinned: true, attemptsLeft: 0 }))).toMatchObject({
      action: 'stop',
      remedy: expect.stringContaining('--mode fuse'),
    });
  });

  it('where no mode can help, the host-side remedy stays', () => {
    expect(decideNext(input({ pinned: true, fuseDevice: 'missing' }))).toMatchObject({
      action: 'stop',
      remedy: expect.stringContaining('modprobe fuse'),
    });
  });

  it('says "no rootless overlayfs here" only when detection found that', () => {
    expect(decideNext(input({ rootlessOverlay: false }))).toMatchObject({
      why: expect.stringMatching(/^no rootless overlayfs here \(detected: rootlessOverlay=false\)/),
    });
    expect(decideNext(input({ rootlessOverlay: true })).why).toMatch(
      /^the kernel can mount overlayfs rootless, but the image's storage settings or the storage volume/,
    );
    expect(decideNext(input({})).why).not.toContain('rootless');
  });
});

describe('decideNext: the id range', () => {
  const map = (count: number) => [
    { inside: 0, outside: 1001, count: 1 },
    { inside: 1, outside: 1000000, count },
  ];
  const range = (count: number) =>
    idRange(
      'build',
      { own: 1000, map: map(count), sub: [{ start: 100000, count: 65536 }] },
      { own: 1000, map: map(count), sub: [{ start: 100000, count: 65536 }] },
    );
  it('a small range stops at once with the host fix, never privileged, even when allowed', () => {
    for (const failure of ['ids-insufficient', 'newuidmap-failed'] as const) {
      const next = decideNext(input({ failure, allowPrivileged: true, idRange: range(65536), product: 'podman' }));
      expect(next).toMatchObject({ action: 'stop', remedy: expect.stringContaining('podman system migrate') });
      if (next.action === 'stop') {
        expect(next.remedy).toContain('165536');
        expect(next.remedy).not.toMatch(/allow the privileged/);
      }
    }
  });
  it('with enough ids the image is to blame: privileged when allowed, else the image fix and privileged as last resort', () => {
    expect(decideNext(input({ failure: 'ids-insufficient', allowPrivileged: true, idRange: range(231072) }))).toMatchObject({
      action: 'retry',
      mode: 'privileged',
    });
    const stop = decideNext(input({ failure: 'newuidmap-failed', idRange: range(231072) }));
    expect(stop).toMatchObject({
      action: 'stop',
      remedy: expect.stringMatching(/^use an image whose newuidmap.*file capabilities.*; else allow the privileged mode/),
    });
    const imageBlamed = decideNext(input({ failure: 'ids-insufficient', idRange: range(231072) }));
    expect(imageBlamed).toMatchObject({ action: 'stop', remedy: expect.stringMatching(/^use an image whose newuidmap/) });
  });
  it('after privileged failed, privileged is never suggested again', () => {
    const next = decideNext(
      input({ failure: 'newuidmap-failed', current: 'privileged', tried: ['native', 'privileged'], allowPrivileged: true }),
    );
    expect(next.action).toBe('stop');
    if (next.action === 'stop') expect(next.remedy).not.toMatch(/privileged/);
  });
});
