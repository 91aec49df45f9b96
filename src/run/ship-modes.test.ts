/**
 * The shipping call site with a Windows host simulated: the modes stat gives
 * (here, on Linux, real ones) are replaced by what modeFor says, as
 * host/project-step.ts passes it from git's index on Windows. The engine is
 * the one fake (only its archive calls are used); the files are real.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeEngine } from '../../test/fakes.js';
import { shippedMode } from '../plan/ship-mode.js';
import { shipProject } from './ship.js';
import { readTar } from './tar.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-ship-modes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('shipProject modeFor', () => {
  it('ships the modes modeFor gives (git index on Windows), not the stat modes', async () => {
    mkdirSync(path.join(dir, 'bin'));
    writeFileSync(path.join(dir, 'bin', 'run.sh'), '#!/bin/sh\n');
    writeFileSync(path.join(dir, 'werf.yaml'), 'project: x\n');
    writeFileSync(path.join(dir, 'notes.txt'), 'untracked\n');
    // What libuv reports on Windows: no x bit anywhere.
    for (const f of ['bin/run.sh', 'werf.yaml', 'notes.txt']) chmodSync(path.join(dir, f), 0o666);
    chmodSync(path.join(dir, 'bin'), 0o777);
    const index = new Map([
      ['bin/run.sh', 0o100755],
      ['werf.yaml', 0o100644],
    ]);

    let archive: Buffer | undefined;
    const engine = fakeEngine({
      createContainer: async () => 'helper',
      getArchive: async () => undefined,
      putArchive: async (_id: string, _path: string, tar: Buffer | NodeJS.ReadableStream) => {
        const parts: Buffer[] = [];
        for await (const chunk of tar as Readable) parts.push(chunk as Buffer);
        archive = Buffer.concat(parts);
      },
      removeContainer: async () => undefined,
      // New volumes: nothing shipped before.
      volumeCreatedAt: async () => undefined,
    });
    await shipProject(engine, {
      image: 'werf',
      units: [{ dir, volume: 'v' }],
      manifestVolume: 'm',
      owner: { uid: 1000, gid: 1000 },
      labels: {},
      modeFor: (unit, rel, type, statMode) => shippedMode(type, statMode, unit === 0 ? index.get(rel) : undefined, 'win32'),
    });
    const modes = Object.fromEntries((await readTar(archive!)).map((e) => [e.header.name, e.header.mode]));
    expect(modes).toMatchObject({
      '0/': 0o755,
      '0/bin': 0o755,
      '0/bin/run.sh': 0o755,
      '0/werf.yaml': 0o644,
      '0/notes.txt': 0o644,
    });
  });
});
