import { describe, expect, it } from 'vitest';
import { decideNext, type DecideInput } from './decide.js';

const input = (over: Partial<DecideInput>): DecideInput => ({
  failure: 'fuse-not-in-container',
  current: 'native',
  tried: ['native'],
  allowPrivileged: false,
  attemptsLeft: 2,
  ...over,
});

describe('decideNext', () => {
  it('moves from native to fuse when buildah needs /dev/fuse', () => {
    expect(decideNext(input({}))).toMatchObject({ action: 'retry', mode: 'fuse' });
  });
  it('never escalates to privileged without permission', () => {
    expect(decideNext(input({ failure: 'userns-denied' }))).toMatchObject({ action: 'stop' });
    expect(decideNext(input({ failure: 'userns-denied', allowPrivileged: true }))).toMatchObject({ action: 'retry', mode: 'privileged' });
  });
  it('stops at once when only the host can fix it', () => {
    for (const failure of ['fuse-permission', 'fuse-missing-on-host', 'userns-disabled', 'overlay-on-overlay'] as const) {
      expect(decideNext(input({ failure, current: 'fuse', tried: ['native', 'fuse'], allowPrivileged: true }))).toMatchObject({ action: 'stop' });
    }
  });
  it('stops when attempts run out', () => {
    expect(decideNext(input({ attemptsLeft: 0 }))).toMatchObject({ action: 'stop' });
  });
});
