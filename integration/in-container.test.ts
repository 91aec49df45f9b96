/**
 * werf-run itself in a container that talks to the host's engine through its
 * socket (GitLab socket binding, devcontainers), with the project mounted at
 * another path than on the host: werf-run finds its own container, translates
 * the path through its mounts, and the build binds the host's checkout, with
 * no shipping. The werf-run image is built here from the rig's Debian image,
 * the Node that runs the tests and the `npm pack`ed werf-run (run `npm run build` first).
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { REPO_ROOT, managedContainers, rig, werfProject } from './support.js';

const IMAGE = `werf-run-it-in-container:${process.pid}`;
const work = mkdtempSync(path.join(os.tmpdir(), 'werf-run-it-pack-'));

beforeAll(async () => {
  const packed = await execa('npm', ['pack', '--silent', '--pack-destination', work], { cwd: REPO_ROOT });
  const tarball = path.join(work, packed.stdout.trim().split('\n').pop()!);
  // Production dependencies only, from npm's cache where it has them.
  await execa('npm', ['install', '--prefix', path.join(work, 'werf-run'), '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball]);
  const dockerfile = [
    `FROM ${rig.WERF_RUN_RIG_IMAGE}`,
    'USER root',
    // The Node that runs these tests (the version package.json asks for; it links only libc, libstdc++ and libgcc, as Debian's image has them).
    'COPY node /usr/local/bin/node',
    'RUN node --version',
    'COPY werf-run /opt/werf-run',
    'ENTRYPOINT ["node", "/opt/werf-run/node_modules/werf-run/bin/werf-run.cjs"]',
  ].join('\n');
  copyFileSync(process.execPath, path.join(work, 'node'));
  await execa('docker', ['build', '--network', 'none', '-q', '-t', IMAGE, '-f', '-', work], { input: dockerfile, env: { DOCKER_BUILDKIT: '0' } });
}, 600_000);

afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await execa('docker', ['rmi', '-f', IMAGE], { reject: false });
});

describe('werf-run in a container with the host\'s Docker socket', () => {
  it('builds with the project mounted at another path: the path is translated, nothing is shipped', async () => {
    const project = werfProject({ app: 'FROM 127.0.0.1:5000/library/busybox:latest\nRUN echo built-in-a-socket-bound-container\n' });
    try {
      const result = await execa(
        'docker',
        ['run', '--rm', '--network', 'none', '-v', '/var/run/docker.sock:/var/run/docker.sock', '-v', `${project.dir}:/work/app`, '-w', '/work/app', IMAGE, '--verbose', 'build'],
        { reject: false },
      );
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout + result.stderr).toContain('built-in-a-socket-bound-container');
      expect(result.stderr).toMatch(new RegExp(`project files: bind-mounted /work/app from ${project.dir} on the engine's host \\(translated through the mounts of werf-run's own container [0-9a-f]{12}\\)`));
      expect(result.stderr).not.toContain('shipped');
      expect(await managedContainers('/work/app')).toEqual([]);
    } finally {
      await project.cleanup();
    }
  });
});
