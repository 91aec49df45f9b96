/**
 * After a known failure, what next: another mode, or stop with the remedy.
 * Pure; the retry loop (retry.ts) calls it after each failed attempt. The
 * ladder climbs default -> native -> fuse -> privileged (privileged only when
 * allowed); a failure no mode can fix stops at once, with the host-side remedy.
 * A forced mode (--mode X, mode: X) is pinned: it never climbs; where another
 * mode would help, the stop names it (--mode Y, or --mode auto).
 */
import type { Mode } from '../config/schema.js';
import type { FuseState } from '../detect/facts.js';
import { REMEDIES } from '../detect/choose.js';
import { idRangeRemedy, type IdRange } from '../detect/id-range.js';
import { SIGNATURES, type FailureId } from './signatures.js';
import type { EngineProduct } from '../engine/port.js';

export type Next = { action: 'retry'; mode: Mode; why: string } | { action: 'stop'; why: string; remedy?: string };

export interface DecideInput {
  failure: FailureId;
  current: Mode;
  tried: readonly Mode[];
  allowPrivileged: boolean;
  attemptsLeft: number;
  /** What detection knows about /dev/fuse, so a doomed fuse attempt is not made. */
  fuseDevice?: FuseState;
  /** What the probe found about rootless overlayfs (undefined: unknown), to say why buildah needs fuse. */
  rootlessOverlay?: boolean;
  /** The mode was forced (not auto): it is kept, never climbed from. */
  pinned?: boolean;
  /** What the probe saw of the container's ids: a small range is the host's to fix, never privileged's. */
  idRange?: IdRange;
  /** For the remedy's restart command. */
  product?: EngineProduct;
}

const remedyOf = (id: FailureId): string => SIGNATURES.find((s) => s.id === id)?.remedy ?? '';

/**
 * Privileged next when allowed and not tried yet. When it is not allowed, the
 * remedy adds it as the last resort; after privileged failed, never again.
 */
const privilegedOr = (input: DecideInput, stopWhy: string, remedy = remedyOf(input.failure)): Next =>
  input.allowPrivileged && !input.tried.includes('privileged')
    ? { action: 'retry', mode: 'privileged', why: `${stopWhy}; the privileged mode is allowed` }
    : input.allowPrivileged
      ? { action: 'stop', why: `${stopWhy}, even privileged`, remedy }
      : {
          action: 'stop',
          why: `${stopWhy}; the privileged mode is not allowed (allowPrivileged)`,
          remedy: `${remedy}; else allow the privileged mode (allowPrivileged / --allow-privileged)`,
        };

const fuseDead = (fuse: FuseState | undefined): Next | undefined =>
  fuse === 'missing'
    ? {
        action: 'stop',
        why: "buildah needs fuse-overlayfs and the Docker host has no /dev/fuse (privileged containers get only the host's devices)",
        remedy: REMEDIES.fuseMissing,
      }
    : fuse === 'no-permission'
      ? {
          action: 'stop',
          why: "buildah needs fuse-overlayfs and uid 1000 cannot open the host's /dev/fuse (not even privileged)",
          remedy: REMEDIES.fusePermission,
        }
      : undefined;

/** Why buildah wanted fuse-overlayfs: "no rootless overlayfs here" only when detection found that. */
function whyFuse(rootlessOverlay: boolean | undefined): string {
  if (rootlessOverlay === false)
    return 'no rootless overlayfs here (detected: rootlessOverlay=false), so buildah uses fuse-overlayfs, which needs /dev/fuse';
  if (rootlessOverlay === true)
    return "the kernel can mount overlayfs rootless, but the image's storage settings or the storage volume make buildah use fuse-overlayfs, which needs /dev/fuse";
  return 'buildah uses fuse-overlayfs, which needs /dev/fuse';
}

/** The werf-run setting that runs in `mode`, for a stop in a pinned mode. */
function switchTo(mode: Mode, current: Mode): string {
  const flag = mode === 'privileged' ? '--mode privileged --allow-privileged' : `--mode ${mode}`;
  return `run in mode ${mode}: ${flag} (or --mode auto, which chooses from the host's facts and recovers), instead of the forced mode ${current}`;
}

export function decideNext(input: DecideInput): Next {
  if (!input.pinned) return climb(input);
  // The ladder is asked what would help; a pinned run only says it.
  const next = climb({ ...input, attemptsLeft: Math.max(input.attemptsLeft, 1) });
  if (next.action === 'stop') return next;
  return {
    action: 'stop',
    why: `${next.why}; mode ${input.current} is forced, so werf-run does not switch modes`,
    remedy: switchTo(next.mode, input.current),
  };
}

function climb(input: DecideInput): Next {
  if (input.attemptsLeft <= 0) return { action: 'stop', why: 'no attempts left (maxAttempts)' };
  const untried = (mode: Mode): boolean => !input.tried.includes(mode);
  switch (input.failure) {
    case 'userns-denied':
      if (input.current === 'default' && untried('native')) {
        return {
          action: 'retry',
          mode: 'native',
          why: "the engine's default seccomp profile forbids user namespaces; native unconfines seccomp and AppArmor",
        };
      }
      return privilegedOr(input, 'user namespaces are denied even with seccomp and AppArmor unconfined');
    case 'fuse-not-in-container':
      if (input.current === 'native' || input.current === 'default') {
        const dead = fuseDead(input.fuseDevice);
        if (dead) return dead;
        if (untried('fuse')) return { action: 'retry', mode: 'fuse', why: whyFuse(input.rootlessOverlay) };
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
    case 'ids-insufficient':
    case 'newuidmap-failed':
      if (input.idRange && !input.idRange.enough) {
        return {
          action: 'stop',
          why: "the daemon gives containers fewer uids/gids than the image's user needs; no container setting can add ids, privileged included",
          remedy: idRangeRemedy(input.idRange, input.product),
        };
      }
      // The probe saw enough ids: newuidmap itself failed (the image's, or dropped capabilities).
      return privilegedOr(
        input,
        'an unconfined container is not enough on this host',
        input.idRange ? remedyOf('newuidmap-failed') : remedyOf(input.failure),
      );
    case 'mount-denied':
      return privilegedOr(input, 'an unconfined container is not enough on this host');
    // The host or the setup itself must change: no mode of werf-run can help.
    case 'userns-disabled':
    case 'userns-limit':
    case 'apparmor-userns':
    case 'overlay-on-overlay':
      return { action: 'stop', why: 'no container setting can fix this; the Docker host must change' };
    // The image or werf's settings must change: another mode would fail the same way.
    case 'fuse-overlayfs-missing':
    case 'native-rootless-refused':
    case 'exec-format':
    case 'registry-ca-unknown':
    case 'registry-rate-limit':
      return { action: 'stop', why: "no mode can fix this; the image or werf's settings must change" };
    // What werf was given (the user it runs as, its key, its kubeconfig): the same in every mode.
    case 'worktree-denied':
    case 'secret-key-missing':
    case 'cluster-unreachable':
      return { action: 'stop', why: 'no mode can fix this; what werf is given must change' };
  }
}
