import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeEngine, recordingReporter } from '../../test/fakes.js';
import type { ContainerSpec, Engine } from '../engine/port.js';
import { ownContainer } from './own-container.js';
import { projectStep } from './project-step.js';

const id = 'b'.repeat(64);
const engineKnowing = (known: string, url = 'unix:///var/run/docker.sock'): Engine =>
  ({
    endpoint: { url, source: 'test' },
    containerMounts: async (name: string) => (name === known ? [{ type: 'bind', source: '/srv/b', destination: '/builds' }] : undefined),
  }) as unknown as Engine;

describe('ownContainer', () => {
  it("finds werf-run's container by the id in mountinfo, and asks the engine for its mounts", async () => {
    const mountinfo = `1 2 8:1 /var/lib/docker/containers/${id}/hosts /etc/hosts rw - ext4 /dev/sda1 rw\n`;
    expect(await ownContainer(engineKnowing(id), { mountinfo, hostname: 'x' })).toEqual({
      id,
      mounts: [{ type: 'bind', source: '/srv/b', destination: '/builds' }],
    });
  });
  it('falls back to a hostname that looks like a short container id', async () => {
    expect(await ownContainer(engineKnowing('bbbbbbbbbbbb'), { hostname: 'bbbbbbbbbbbb' })).toMatchObject({ id: 'bbbbbbbbbbbb' });
  });
  it('never by the hostname on a remote engine (another machine may have that container), still by mountinfo', async () => {
    expect(await ownContainer(engineKnowing('bbbbbbbbbbbb', 'tcp://10.0.0.5:2376'), { hostname: 'bbbbbbbbbbbb' })).toBeUndefined();
    expect(await ownContainer(engineKnowing('bbbbbbbbbbbb', 'ssh://ci@builder'), { hostname: 'bbbbbbbbbbbb' })).toBeUndefined();
    const mountinfo = `1 2 8:1 /var/lib/docker/containers/${id}/hosts /etc/hosts rw - ext4 /dev/sda1 rw\n`;
    expect(await ownContainer(engineKnowing(id, 'tcp://10.0.0.5:2376'), { mountinfo, hostname: 'x' })).toMatchObject({ id });
  });
  it('is undefined on a host, or for a container this engine does not know', async () => {
    expect(await ownContainer(engineKnowing(id), { hostname: 'build-host' })).toBeUndefined();
    expect(await ownContainer(engineKnowing('other'), { mountinfo: `/containers/${id}/hostname`, hostname: 'vm' })).toBeUndefined();
  });
});

describe('projectStep: a product that does not share the checkout with its VM', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  // Docker Desktop's refusal comes at start (recorded in docker/for-mac and docker/desktop-linux issues); simulated here.
  const DENIED =
    'Error response from daemon: Mounts denied: \nThe path %s is not shared from the host and is not known to Docker.\nYou can configure shared paths from Docker -> Preferences... -> Resources -> File Sharing.';

  it('ships instead of failing, with one note naming File sharing', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'werf-run-denied-'));
    dirs.push(root);
    writeFileSync(path.join(root, 'werf.yaml'), 'project: x\n');
    const created: string[] = [];
    const engine = fakeEngine({
      createContainer: async (spec: ContainerSpec) => (created.push(spec.labels['werf-run.role'] ?? ''), `c${created.length}`),
      attachContainer: async () => ({ output: new PassThrough(), multiplexed: true }),
      startContainer: async () => Promise.reject(new Error(DENIED.replace('%s', root))),
      ping: async () => undefined,
      removeContainer: async () => undefined,
      getArchive: async () => undefined,
      putArchive: async (_id: string, _p: string, tar: Buffer | NodeJS.ReadableStream) => {
        for await (const _chunk of tar as PassThrough) void _chunk;
      },
      // New ship volumes: nothing shipped before.
      volumeCreatedAt: async () => undefined,
    });
    const { reporter, lines } = recordingReporter();
    const delivery = await projectStep({
      engine,
      project: { root, isGit: false, gitDirs: [] },
      image: 'werf',
      user: { user: 'build', uid: 1000 },
      mayRun: true,
      sameHost: false,
      reporter,
      host: { hostname: 'laptop' },
      product: 'docker-desktop',
    });
    expect(created).toEqual(['project-check', 'ship']);
    expect(delivery.how).toBe('ship');
    expect(delivery.line).toContain(`the engine's host does not see this checkout: Docker Desktop does not share ${root} with its VM`);
    expect(lines.filter((l) => l.includes('File sharing'))).toEqual([
      `info note: to bind-mount the checkout instead of shipping it, add ${root} (or a parent) in Docker Desktop under Settings > Resources > File sharing`,
    ]);
  });
});
