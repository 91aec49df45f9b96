/**
 * After a known failure, what next: another mode, or stop with the remedy.
 * Pure; the recovery loop in run/ calls it after each failed attempt.
 */
import type { Mode } from '../config/schema.js';
import type { FailureId } from './signatures.js';

export type Next = { action: 'retry'; mode: Mode; why: string } | { action: 'stop'; why: string };

export interface DecideInput {
  failure: FailureId;
  current: Mode;
  tried: readonly Mode[];
  allowPrivileged: boolean;
  attemptsLeft: number;
}

const privilegedOr = (input: DecideInput, why: string, stopWhy: string): Next =>
  input.allowPrivileged && !input.tried.includes('privileged')
    ? { action: 'retry', mode: 'privileged', why }
    : { action: 'stop', why: input.allowPrivileged ? stopWhy : `${stopWhy}; the privileged mode is not allowed (allowPrivileged)` };

export function decideNext(input: DecideInput): Next {
  if (input.attemptsLeft <= 0) return { action: 'stop', why: 'no attempts left (maxAttempts)' };
  switch (input.failure) {
    case 'fuse-not-in-container':
      if (input.current === 'native' && !input.tried.includes('fuse')) {
        return { action: 'retry', mode: 'fuse', why: 'buildah fell back to fuse-overlayfs, which needs /dev/fuse' };
      }
      return { action: 'stop', why: 'the container had /dev/fuse and it still was not found' };
    case 'userns-denied':
    case 'mount-denied':
    case 'newuidmap-failed':
      return privilegedOr(input, 'the unconfined container is not enough on this host', 'an unconfined container is not enough on this host');
    // The host itself must change: no mode of werf-run can help.
    case 'fuse-permission':
    case 'fuse-missing-on-host':
    case 'userns-disabled':
    case 'overlay-on-overlay':
      return { action: 'stop', why: 'no container setting can fix this; the Docker host must change' };
  }
}
