/**
 * werf-run against Podman's Docker-compatible API: a real rootful
 * `podman system service` of this test's own (own storage, and a
 * registries.conf that lets it pull from the rig's plain-HTTP registry).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPodmanService, type StartedEngine } from './engines.js';
import { NAMED_USER_SCRIPT, TEST_IMAGE, buildNamedUserImage, makeProject, runWerfRun, werfProject } from './support.js';

describe('werf-run on Podman', () => {
  let podman: StartedEngine;
  let project: ReturnType<typeof werfProject>;

  beforeAll(async () => {
    podman = await startPodmanService();
    project = werfProject({ app: 'FROM 127.0.0.1:5000/library/busybox:latest\nRUN echo built under podman > /built\n' });
  });
  afterAll(async () => {
    const results = await Promise.allSettled([podman?.stop(), project?.cleanup()]);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  });

  // No docker config of the user's: DOCKER_CONFIG points at a dir without one.
  const env = () => ({
    DOCKER_HOST: podman.socketUrl,
    DOCKER_CONTEXT: undefined,
    DOCKER_CONFIG: path.join(project.dir, 'no-docker-config'),
  });

  it('detects Podman and plans ulimits within the hard limits (Docker gets none)', async () => {
    const onPodman = await runWerfRun(['--verbose', '--dry-run', 'build'], { cwd: project.dir, env: env() });
    expect(onPodman.exitCode, onPodman.stderr).toBe(0);
    expect(onPodman.stderr).toMatch(/engine: podman 4\./);
    expect(onPodman.stdout).toContain('--ulimit nofile=1024:4096 --ulimit nproc=4096:4096');
    const onDocker = await runWerfRun(['--verbose', '--dry-run', 'build'], {
      cwd: project.dir,
      env: { DOCKER_HOST: undefined, DOCKER_CONTEXT: undefined },
    });
    expect(onDocker.exitCode, onDocker.stderr).toBe(0);
    expect(onDocker.stderr).toMatch(/engine: docker /);
    expect(onDocker.stdout).not.toContain('--ulimit');
  });

  it('pulls the werf image into Podman with the pull policy "missing" and builds with the real buildah', async () => {
    expect((await podman.docker(['image', 'inspect', TEST_IMAGE])).exitCode, 'fresh Podman storage').not.toBe(0);
    const result = await runWerfRun(['--verbose', 'build'], { cwd: project.dir, env: env() });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`engine: ${podman.socketUrl} (from DOCKER_HOST)`);
    expect(result.stderr).toMatch(/pulled \S+ \(\d+\/\d+ layers, [\d.]+\/[\d.]+ MB\)/);
    expect(result.stdout, result.stderr).toMatch(/Building image app/);
    expect(result.stdout + result.stderr).toContain('built under podman');
    expect((await podman.docker(['image', 'inspect', TEST_IMAGE])).exitCode).toBe(0);
    expect((await podman.docker(['ps', '-aq', '--filter', 'label=werf-run.managed=true'])).stdout.trim()).toBe('');
  });

  it("hands a user known only by name its files, owned by its ids from the image's /etc/passwd (Podman's archive API)", async () => {
    const image = `127.0.0.1:5000/werf-run-it/sh-ci:${process.pid}`;
    await buildNamedUserImage(image);
    await execa('docker', ['push', '-q', image]);
    const named = makeProject({ 'README.md': 'x\n' }, { image: { reference: image }, user: 'ci' });
    try {
      const auth = JSON.stringify({ auths: { '127.0.0.1:5000': { auth: Buffer.from('someone:not-checked').toString('base64') } } });
      const result = await runWerfRun(['-q', 'sh', NAMED_USER_SCRIPT], { cwd: named.dir, env: { ...env(), DOCKER_AUTH_CONFIG: auth } });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toBe('1500\n1500:1600 600\n1\n');
    } finally {
      await named.cleanup();
      await execa('docker', ['rmi', image], { reject: false });
    }
  });

  it("two runs probe once and keep one cache file (Podman's /info ID changes on every call)", async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), 'werf-run-it-cache-'));
    try {
      const runs = [];
      for (let i = 0; i < 2; i++)
        runs.push(await runWerfRun(['--verbose', 'version'], { cwd: project.dir, env: { ...env(), XDG_CACHE_HOME: cache } }));
      for (const run of runs) expect(run.exitCode, run.stderr).toBe(0);
      expect(runs[0]!.stderr).toContain('probing what the Docker host can do');
      expect(runs[1]!.stderr).not.toContain('probing what the Docker host can do');
      expect(runs[1]!.stderr).toContain('detect: cache used');
      // One daemon file, however Podman's /info ID changes (the trust store's cache is a file of its own beside it).
      expect(readdirSync(path.join(cache, 'werf-run')).filter((name) => name.startsWith('daemon-'))).toHaveLength(1);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
