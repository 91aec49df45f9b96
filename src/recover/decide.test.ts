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
  it('climbs from the engine default to native when user namespaces are denied', () => {
    expect(decideNext(input({ failure: 'userns-denied', current: 'default', tried: ['default'] }))).toMatchObject({ action: 'retry', mode: 'native' });
  });
  it('moves from native to fuse when buildah needs /dev/fuse', () => {
    expect(decideNext(input({}))).toMatchObject({ action: 'retry', mode: 'fuse' });
    expect(decideNext(input({ fuseDevice: 'usable' }))).toMatchObject({ action: 'retry', mode: 'fuse' });
  });
  it('does not try fuse when detection knows /dev/fuse cannot work, and names the host fix', () => {
    expect(decideNext(input({ fuseDevice: 'missing', allowPrivileged: true }))).toMatchObject({ action: 'stop', remedy: expect.stringContaining('modprobe fuse') });
    expect(decideNext(input({ fuseDevice: 'no-permission', allowPrivileged: true }))).toMatchObject({ action: 'stop', remedy: expect.stringContaining('chmod 0666 /dev/fuse') });
  });
  it('never escalates to privileged without permission', () => {
    expect(decideNext(input({ failure: 'userns-denied' }))).toMatchObject({ action: 'stop' });
    expect(decideNext(input({ failure: 'userns-denied', allowPrivileged: true }))).toMatchObject({ action: 'retry', mode: 'privileged' });
    expect(decideNext(input({ failure: 'mount-denied', allowPrivileged: true }))).toMatchObject({ action: 'retry', mode: 'privileged' });
    expect(decideNext(input({ failure: 'newuidmap-failed' }))).toMatchObject({ action: 'stop' });
  });
  it('does not retry privileged twice', () => {
    expect(decideNext(input({ failure: 'userns-denied', current: 'privileged', tried: ['native', 'privileged'], allowPrivileged: true }))).toMatchObject({ action: 'stop' });
  });
  it('falls back from fuse to native when the host has no /dev/fuse, then stops', () => {
    expect(decideNext(input({ failure: 'fuse-missing-on-host', current: 'fuse', tried: ['fuse'] }))).toMatchObject({ action: 'retry', mode: 'native' });
    expect(decideNext(input({ failure: 'fuse-missing-on-host', current: 'fuse', tried: ['native', 'fuse'], allowPrivileged: true }))).toMatchObject({
      action: 'stop',
      remedy: expect.stringContaining('modprobe fuse'),
    });
  });
  it('stops at once when only the host can fix it, privileged or not (privileged gets the same /dev/fuse)', () => {
    for (const failure of ['fuse-permission', 'userns-disabled', 'overlay-on-overlay'] as const) {
      expect(decideNext(input({ failure, current: 'fuse', tried: ['native', 'fuse'], allowPrivileged: true }))).toMatchObject({ action: 'stop' });
    }
  });
  it('stops when attempts run out', () => {
    expect(decideNext(input({ attemptsLeft: 0 }))).toMatchObject({ action: 'stop' });
  });
});

describe('a forced mode is pinned', () => {
  it('never climbs: where another mode would help, the stop names it as a werf-run setting, not a docker flag', () => {
    const native = decideNext(input({ pinned: true }));
    expect(native).toEqual({
      action: 'stop',
      why: 'buildah uses fuse-overlayfs, which needs /dev/fuse; mode native is forced, so werf-run does not switch modes',
      remedy: "run in mode fuse: --mode fuse (or --mode auto, which chooses from the host's facts and recovers), instead of the forced mode native",
    });
    expect(JSON.stringify(native)).not.toContain('--device');
    expect(decideNext(input({ pinned: true, failure: 'userns-denied', current: 'default', tried: ['default'] }))).toMatchObject({ action: 'stop', remedy: expect.stringMatching(/^run in mode native: --mode native /) });
    expect(decideNext(input({ pinned: true, failure: 'fuse-missing-on-host', current: 'fuse', tried: ['fuse'] }))).toMatchObject({ action: 'stop', remedy: expect.stringMatching(/^run in mode native: --mode native /) });
    expect(decideNext(input({ pinned: true, failure: 'mount-denied', allowPrivileged: true }))).toMatchObject({ action: 'stop', remedy: expect.stringMatching(/--mode privileged --allow-privileged/) });
  });

  it('even with one attempt allowed (maxAttempts: 1) it names the mode that would help', () => {
    expect(decideNext(input({ pinned: true, attemptsLeft: 0 }))).toMatchObject({ action: 'stop', remedy: expect.stringContaining('--mode fuse') });
  });

  it('where no mode can help, the host-side remedy stays', () => {
    expect(decideNext(input({ pinned: true, fuseDevice: 'missing' }))).toMatchObject({ action: 'stop', remedy: expect.stringContaining('modprobe fuse') });
  });

  it('says "no rootless overlayfs here" only when detection found that', () => {
    expect(decideNext(input({ rootlessOverlay: false }))).toMatchObject({ why: expect.stringMatching(/^no rootless overlayfs here \(detected: rootlessOverlay=false\)/) });
    expect(decideNext(input({ rootlessOverlay: true })).why).toMatch(/^the kernel can mount overlayfs rootless, but the image's storage settings or the storage volume/);
    expect(decideNext(input({})).why).not.toContain('rootless');
  });
});

describe('decideNext: the id range', () => {
  const map = (count: number) => [{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 1000000, count }];
  const range = (count: number) => idRange('build', { own: 1000, map: map(count), sub: [{ start: 100000, count: 65536 }] }, { own: 1000, map: map(count), sub: [{ start: 100000, count: 65536 }] });
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
    expect(decideNext(input({ failure: 'ids-insufficient', allowPrivileged: true, idRange: range(231072) }))).toMatchObject({ action: 'retry', mode: 'privileged' });
    const stop = decideNext(input({ failure: 'newuidmap-failed', idRange: range(231072) }));
    expect(stop).toMatchObject({ action: 'stop', remedy: expect.stringMatching(/^use an image whose newuidmap.*file capabilities.*; else allow the privileged mode/) });
    const imageBlamed = decideNext(input({ failure: 'ids-insufficient', idRange: range(231072) }));
    expect(imageBlamed).toMatchObject({ action: 'stop', remedy: expect.stringMatching(/^use an image whose newuidmap/) });
  });
  it('after privileged failed, privileged is never suggested again', () => {
    const next = decideNext(input({ failure: 'newuidmap-failed', current: 'privileged', tried: ['native', 'privileged'], allowPrivileged: true }));
    expect(next.action).toBe('stop');
    if (next.action === 'stop') expect(next.remedy).not.toMatch(/privileged/);
  });
});
