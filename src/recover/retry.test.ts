import { describe, expect, it } from 'vitest';
import type { Mode } from '../config/schema.js';
import { WerfRunError } from '../errors.js';
import { runRecovering, type AttemptOutcome, type RetryInput } from './retry.js';
import { SIGNATURES, type FailureId } from './signatures.js';

const failure = (id: FailureId) => SIGNATURES.find((s) => s.id === id)!;

/** The loop with attempts that end as `outcomes` says, mode by mode; records what it is told. */
function loop(outcomes: Partial<Record<Mode, AttemptOutcome>>, over: Partial<RetryInput> = {}) {
  const told: string[] = [];
  const run = runRecovering({
    firstMode: 'default',
    allowPrivileged: false,
    maxAttempts: 4,
    attempt: async (mode) => {
      told.push(`attempt ${mode}`);
      return outcomes[mode] ?? { exitCode: 0, failure: undefined };
    },
    onAttemptFailed: (mode, f) => told.push(`failed ${mode} ${f.id}`),
    onRetry: (from, to, f) => told.push(`retry ${from} -> ${to} (${f.id})`),
    ...over,
  });
  return { run, told };
}

describe('runRecovering', () => {
  it("returns werf's exit code from the first attempt that meets no known failure", async () => {
    const { run, told } = loop({ default: { exitCode: 3, failure: undefined } });
    await expect(run).resolves.toEqual({ exitCode: 3, mode: 'default', attempts: [{ mode: 'default', failure: undefined }] });
    expect(told).toEqual(['attempt default']);
  });

  it('climbs to the next mode decideNext() gives, telling each failure and retry', async () => {
    const { run, told } = loop({ default: { exitCode: undefined, failure: failure('userns-denied') } });
    const result = await run;
    expect(result).toMatchObject({ exitCode: 0, mode: 'native' });
    expect(result.attempts.map((a) => [a.mode, a.failure?.id])).toEqual([
      ['default', 'userns-denied'],
      ['native', undefined],
    ]);
    expect(told).toEqual(['attempt default', 'failed default userns-denied', 'retry default -> native (userns-denied)', 'attempt native']);
  });

  it('stops with the cause, the modes tried and the remedy when no mode can help', async () => {
    const { run, told } = loop({ fuse: { exitCode: undefined, failure: failure('fuse-permission') } }, { firstMode: 'fuse' });
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WerfRunError);
    expect((error as WerfRunError).message).toMatch(
      /^werf cannot run on this Docker host: .*uid 1000\) \(tried: fuse \(fuse-permission\); /,
    );
    expect((error as WerfRunError).remedy).toMatch(/chmod 0666 \/dev\/fuse/);
    expect(told).toEqual(['attempt fuse', 'failed fuse fuse-permission']);
  });

  it('is bounded by maxAttempts', async () => {
    const { run, told } = loop({ default: { exitCode: undefined, failure: failure('userns-denied') } }, { maxAttempts: 1 });
    await expect(run).rejects.toThrow(/tried: default \(userns-denied\); no attempts left \(maxAttempts\)/);
    expect(told.filter((t) => t.startsWith('attempt'))).toEqual(['attempt default']);
  });

  it('spares a doomed fuse attempt when detection knows /dev/fuse is missing', async () => {
    const { run } = loop(
      { native: { exitCode: undefined, failure: failure('fuse-not-in-container') } },
      { firstMode: 'native', fuseDevice: 'missing' },
    );
    await expect(run).rejects.toThrow(/tried: native \(fuse-not-in-container\); .*no \/dev\/fuse/);
  });

  it('reaches privileged only when it is allowed', async () => {
    const denied = { exitCode: undefined, failure: failure('mount-denied') };
    await expect(loop({ native: denied }, { firstMode: 'native' }).run).rejects.toThrow(/the privileged mode is not allowed/);
    await expect(loop({ native: denied }, { firstMode: 'native', allowPrivileged: true }).run).resolves.toMatchObject({
      mode: 'privileged',
    });
  });
});
