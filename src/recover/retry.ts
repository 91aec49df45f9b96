/**
 * The recovery loop: run an attempt in the chosen mode; when it fails with a
 * known signature, ask decideNext() and either try the next mode or stop with
 * the remedy. Bounded by maxAttempts. The attempt itself is passed in (run/
 * runs one container, watching its output with classify()), so this loop
 * decides and does no I/O of its own.
 */
import { WerfRunError } from '../errors.js';
import type { Mode } from '../config/schema.js';
import type { FuseState } from '../detect/facts.js';
import type { IdRange } from '../detect/id-range.js';
import { decideNext } from './decide.js';
import type { Signature } from './signatures.js';
import type { EngineProduct } from '../engine/port.js';

/** What one attempt in a mode came to: werf's exit code, or the failure that ended it. */
export interface AttemptOutcome {
  /** werf's exit code, or undefined when the container never ran. */
  exitCode: number | undefined;
  failure: Signature | undefined;
  /** werf was stopped because this stream's reader went away (no recovery follows). */
  stoppedForClosed?: 'stdout' | 'stderr';
}

export interface RetryInput {
  firstMode: Mode;
  /** Runs werf once in this mode (run/attempt.ts with classify as the watcher). */
  attempt(mode: Mode): Promise<AttemptOutcome>;
  allowPrivileged: boolean;
  maxAttempts: number;
  /** What detection knows about /dev/fuse (spares a doomed fuse attempt). */
  fuseDevice?: FuseState;
  /** What the probe found about rootless overlayfs (says why buildah needed fuse). */
  rootlessOverlay?: boolean;
  /** A forced mode: kept for every attempt, never climbed from (auto recovers). */
  pinned?: boolean;
  /** What the probe saw of the container's ids, and the engine: a small id range is the host's to fix. */
  idRange?: IdRange;
  product?: EngineProduct;
  /** Told about each failed attempt (e.g. to drop cached facts it disproves). */
  onAttemptFailed?(mode: Mode, failure: Signature): void;
  /** Told about each retry, for the user to see. */
  onRetry?(from: Mode, to: Mode, failure: Signature, why: string): void;
}

export interface RetryResult {
  exitCode: number;
  mode: Mode;
  /** Modes tried, in order, with the failure that ended each unsuccessful one. */
  attempts: { mode: Mode; failure?: Signature }[];
  /** werf was stopped because this stream's reader went away (no recovery follows). */
  stoppedForClosed?: 'stdout' | 'stderr';
}

export async function runRecovering(input: RetryInput): Promise<RetryResult> {
  const attempts: RetryResult['attempts'] = [];
  let mode = input.firstMode;
  for (;;) {
    const result = await input.attempt(mode);
    attempts.push({ mode, failure: result.failure });
    if (result.stoppedForClosed) return { exitCode: result.exitCode ?? 0, mode, attempts, stoppedForClosed: result.stoppedForClosed };
    if (!result.failure) {
      return { exitCode: result.exitCode ?? 0, mode, attempts };
    }
    input.onAttemptFailed?.(mode, result.failure);
    const next = decideNext({
      fuseDevice: input.fuseDevice,
      rootlessOverlay: input.rootlessOverlay,
      pinned: input.pinned,
      idRange: input.idRange,
      product: input.product,
      failure: result.failure.id,
      current: mode,
      tried: attempts.map((a) => a.mode),
      allowPrivileged: input.allowPrivileged,
      attemptsLeft: input.maxAttempts - attempts.length,
    });
    if (next.action === 'stop') {
      const tried = attempts.map((a) => `${a.mode} (${a.failure?.id ?? 'ok'})`).join(', ');
      throw new WerfRunError(
        `werf cannot run ${input.pinned ? `in the forced mode ${mode} ` : ''}on this Docker host: ${result.failure.cause} (tried: ${tried}; ${next.why})`,
        { remedy: next.remedy ?? result.failure.remedy },
      );
    }
    input.onRetry?.(mode, next.mode, result.failure, next.why);
    mode = next.mode;
  }
}
