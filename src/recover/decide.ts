/**
 * After a known failure, what next: another mode, or stop with the remedy.
 * Pure; the retry loop (retry.ts) calls it after each failed attempt. The
 * ladder climbs default -> native -> fuse -> privileged (privileged only when
 * allowed); a failure no mode can fix stops at once, with the host-side remedy.
 */
import type { Mode } from '../config/schema.js';
import type { FuseState } from '../detect/facts.js';
import { REMEDIES } from '../detect/choose.js';
import type { FailureId } from './signatures.js';

export type Next = { action: 'retry'; mode: Mode; why: string } | { action: 'stop'; why: string; remedy?: string };

export interface DecideInput {
  failure: FailureId;
  current: Mode;
  tried: readonly Mode[];
  allowPrivileged: boolean;
  attemptsLeft: number;
  /** What detection knows about /dev/fuse, so a doomed fuse attempt is not made. */
  fuseDevice?: FuseState;
}

const privilegedOr = (input: DecideInput, stopWhy: string): Next =>
  input.allowPrivileged && !input.tried.includes('privileged')
    ? { action: 'retry', mode: 'privileged', why: `${stopWhy}; the privileged mode is allowed` }
    : { action: 'stop', why: input.allowPrivileged ? `${stopWhy}, even privileged` : `${stopWhy}; the privileged mode is not allowed (allowPrivileged)` };

const fuseDead = (fuse: FuseState | undefined): Next | undefined =>
  fuse === 'missing'
    ? { action: 'stop', why: 'buildah needs fuse-overlayfs and the Docker host has no /dev/fuse (privileged containers get only the host\'s devices)', remedy: REMEDIES.fuseMissing }
    : fuse === 'no-permission'
      ? { action: 'stop', why: "buildah needs fuse-overlayfs and uid 1000 cannot open the host's /dev/fuse (not even privileged)", remedy: REMEDIES.fusePermission }
      : undefined;

export function decideNext(input: DecideInput): Next {
  if (input.attemptsLeft <= 0) return { action: 'stop', why: 'no attempts left (maxAttempts)' };
  const untried = (mode: Mode): boolean => !input.tried.includes(mode);
  switch (input.failure) {
    case 'userns-denied':
      if (input.current === 'default' && untried('native')) {
        return { action: 'retry', mode: 'native', why: "the engine's default seccomp profile forbids user namespaces; native unconfines seccomp and AppArmor" };
      }
      return privilegedOr(input, 'user namespaces are denied even with seccomp and AppArmor unconfined');
    case 'fuse-not-in-container':
      if (input.current === 'native' || input.current === 'default') {
        const dead = fuseDead(input.fuseDevice);
        if (dead) return dead;
        if (untried('fuse')) return { action: 'retry', mode: 'fuse', why: 'buildah uses fuse-overlayfs, which needs /dev/fuse' };
      }
      return { action: 'stop', why: 'the container had /dev/fuse and buildah still did not find it' };
    case 'fuse-missing-on-host':
      // A mode that needs no device may still work (the kernel may do rootless overlay).
      if (input.current === 'fuse' && untried('native')) {
        return { action: 'retry', mode: 'native', why: 'the Docker host has no /dev/fuse; native needs none' };
      }
      return fuseDead('missing')!;
    case 'fuse-permission':
      return fuseDead('no-permission')!;
    case 'mount-denied':
    case 'newuidmap-failed':
      return privilegedOr(input, 'an unconfined container is not enough on this host');
    // The host or the setup itself must change: no mode of werf-run can help.
    case 'userns-disabled':
    case 'overlay-on-overlay':
      return { action: 'stop', why: 'no container setting can fix this; the Docker host must change' };
  }
}
