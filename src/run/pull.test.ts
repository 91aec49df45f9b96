import { describe, expect, it } from 'vitest';
import { WerfRunError } from '../errors.js';
import type { PullProgress, RegistryAuth } from '../engine/port.js';
import { fakeEngine, recordingReporter as recorder } from '../../test/fakes.js';
import { ensureImage } from './pull.js';

/** An engine with the image or without, whose pulls send `events` and then fail with `fail`, if given. */
function registryEngine(present: boolean, events: PullProgress[] = [], fail?: string) {
  const pulls: (RegistryAuth | undefined)[] = [];
  const engine = fakeEngine({
    inspectImage: async () => (present ? { id: 'sha256:0123456789abcdef0123' } : undefined),
    pullImage: async (_ref: string, auth: RegistryAuth | undefined, onProgress: (e: PullProgress) => void) => {
      pulls.push(auth);
      for (const e of events) onProgress(e);
      if (fail) throw new WerfRunError(`pulling r.io/w:2 failed: ${fail}`);
    },
  });
  return { engine, pulls };
}

const auth = { username: 'u', password: 'p', serveraddress: 'r.io' };
const FLAG = { name: '--pull', change: 'use --pull missing' };

describe('ensureImage', () => {
  it('with "missing" and the image present neither pulls nor asks for credentials', async () => {
    const { engine, pulls } = registryEngine(true);
    let asked = false;
    await ensureImage(engine, 'r.io/w:2', 'missing', FLAG, async () => ((asked = true), { auth, source: 's' }), recorder().reporter);
    expect(pulls).toEqual([]);
    expect(asked).toBe(false);
  });

  it('takes the answer of a lookup already under way instead of asking the engine again', async () => {
    let asked = 0;
    const engine = fakeEngine({ inspectImage: async () => ((asked += 1), undefined) });
    await ensureImage(
      engine,
      'r.io/w:2',
      'never',
      FLAG,
      async () => ({ auth, source: 's' }),
      recorder().reporter,
      Promise.resolve({ id: 'sha256:0123456789abcdef0123' }),
    );
    expect(asked).toBe(0);
    // The lookup's failure is the run's failure, as if ensureImage had asked.
    const failed = Promise.reject(new WerfRunError('inspecting image r.io/w:2 on unix:///fake.sock failed: EOF'));
    await expect(
      ensureImage(engine, 'r.io/w:2', 'missing', FLAG, async () => ({ auth, source: 's' }), recorder().reporter, failed),
    ).rejects.toThrow('EOF');
  });

  it('with "never" and no image fails naming the engine, and where the policy was set', async () => {
    const { engine } = registryEngine(false);
    await expect(
      ensureImage(engine, 'r.io/w:2', 'never', FLAG, async () => ({ auth, source: 's' }), recorder().reporter),
    ).rejects.toMatchObject({
      message: 'image r.io/w:2 is not on the engine at unix:///fake.sock and the pull policy is "never" (--pull)',
      remedy: 'pull it (docker pull r.io/w:2) or use --pull missing',
    });
    const fromEnv = { name: 'WERF_RUN_PULL (image.pull)', change: 'set WERF_RUN_PULL=missing' };
    await expect(
      ensureImage(engine, 'r.io/w:2', 'never', fromEnv, async () => ({ auth, source: 's' }), recorder().reporter),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/"never" \(WERF_RUN_PULL \(image\.pull\)\)$/),
      remedy: 'pull it (docker pull r.io/w:2) or set WERF_RUN_PULL=missing',
    });
  });

  it('pulls with the credentials, shows changed progress only, and never the credentials', async () => {
    const events = [
      { id: 'a', status: 'Pulling fs layer' },
      { id: 'a', status: 'Downloading', current: 1e6, total: 2e6 },
      { id: 'a', status: 'Extracting', current: 1, total: 2e6 },
      { id: 'a', status: 'Extracting', current: 2, total: 2e6 },
      { id: 'a', status: 'Pull complete' },
    ];
    const { engine, pulls } = registryEngine(true, events);
    const { reporter, lines } = recorder();
    await ensureImage(engine, 'r.io/w:2', 'always', FLAG, async () => ({ auth, source: 'auths in f' }), reporter);
    expect(pulls).toEqual([auth]);
    expect(lines.filter((l) => l.startsWith('progress'))).toEqual([
      'progress pulling r.io/w:2: 0/1 layers',
      'progress pulling r.io/w:2: 0/1 layers, 1.0/2.0 MB',
      'progress pulling r.io/w:2: 0/1 layers, 2.0/2.0 MB',
      'progress pulling r.io/w:2: 1/1 layers, 2.0/2.0 MB',
    ]);
    expect(lines).toContain('info pulled r.io/w:2 (1/1 layers, 2.0/2.0 MB)');
    expect(lines.join('\n')).not.toMatch(/\bp\b|password/);
  });

  it('turns a pull error into the engine message plus a fix', async () => {
    const { engine } = registryEngine(false, [], 'unauthorized: authentication required');
    const error = await ensureImage(
      engine,
      'r.io/w:2',
      'missing',
      FLAG,
      async () => ({ auth, source: 'auths in f' }),
      recorder().reporter,
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'pulling r.io/w:2 failed: unauthorized: authentication required', exitCode: 125 });
    expect((error as WerfRunError).remedy).toContain('refused the credentials from auths in f');
  });
});
