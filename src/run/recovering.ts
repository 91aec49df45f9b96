/**
 * The recovery loop: run an attempt in the chosen mode; when it fails with a
 * known signature, ask decideNext() and either try the next mode or stop with
 * the remedy. Bounded by maxAttempts.
 */
import { WerfRunError } from '../errors.js';
import type { Mode } from '../config/schema.js';
import type { Engine } from '../engine/port.js';
import type { RunPlan } from '../plan/plan.js';
import { decideNext } from '../recover/decide.js';
import type { Signature } from '../recover/signatures.js';
import type { FuseState } from '../detect/facts.js';
import { runAttempt, type AttemptHooks, type AttemptIO } from './attempt.js';

export interface RecoveringRunInput {
  engine: Engine;
  firstMode: Mode;
  planFor(mode: Mode): RunPlan;
  allowPrivileged: boolean;
  maxAttempts: number;
  io: AttemptIO;
  hooks?: AttemptHooks;
  /** What detection knows about /dev/fuse (spares a doomed fuse attempt). */
  fuseDevice?: FuseState;
  /** Told about each failed attempt (e.g. to drop cached facts it disproves). */
  onAttemptFailed?(mode: Mode, failure: Signature): void;
  /** Told about each retry, for the user to see. */
  onRetry?(from: Mode, to: Mode, failure: Signature, why: string): void;
}

export interface RecoveringRunResult {
  exitCode: number;
  mode: Mode;
  /** Modes tried, in order, with the failure that ended each unsuccessful one. */
  attempts: { mode: Mode; failure?: Signature }[];
}

export async function runRecovering(input: RecoveringRunInput): Promise<RecoveringRunResult> {
  const attempts: RecoveringRunResult['attempts'] = [];
  let mode = input.firstMode;
  for (;;) {
    const planned = input.planFor(mode);
    const result = await runAttempt(input.engine, planned.container, input.io, input.hooks, undefined, planned);
    attempts.push({ mode, failure: result.failure });
    if (!result.failure) {
      return { exitCode: result.exitCode ?? 0, mode, attempts };
    }
    input.onAttemptFailed?.(mode, result.failure);
    const next = decideNext({
      fuseDevice: input.fuseDevice,
      failure: result.failure.id,
      current: mode,
      tried: attempts.map((a) => a.mode),
      allowPrivileged: input.allowPrivileged,
      attemptsLeft: input.maxAttempts - attempts.length,
    });
    if (next.action === 'stop') {
      const tried = attempts.map((a) => `${a.mode} (${a.failure?.id ?? 'ok'})`).join(', ');
      throw new WerfRunError(
        `werf cannot run on this Docker host: ${result.failure.cause} (tried: ${tried}; ${next.why})`,
        { remedy: next.remedy ?? result.failure.remedy },
      );
    }
    input.onRetry?.(mode, next.mode, result.failure, next.why);
    mode = next.mode;
  }
}
