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
import { REPO_ROOT, managedContainers, rig, runWerfRun, werfProject } from './support.js';

const IMAGE = `werf-run-it-in-container:${process.pid}`;
const work = mkdtempSync(path.join(os.tmpdir(), 'werf-run-it-pack-'));

beforeAll(async () => {
  const packed = await execa('npm', ['pack', '--silent', '--pack-destination', work], { cwd: REPO_ROOT });
  const tarball = path.join(work, packed.stdout.trim().split('\n').pop()!);
  // Production dependencies only, from npm's cache where it has them.
  await execa('npm', [
    'install',
    '--prefix',
    path.join(work, 'werf-run'),
    '--omit=dev',
    '--no-audit',
    '--no-fund',
    '--prefer-offline',
    tarball,
  ]);
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
  await execa('docker', ['build', '--network', 'none', '-q', '-t', IMAGE, '-f', '-', work], {
    input: dockerfile,
    env: { DOCKER_BUILDKIT: '0' },
  });
}, 600_000);

afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await execa('docker', ['rmi', '-f', IMAGE], { reject: false });
});

describe("werf-run in a container with the host's Docker socket", () => {
  it('builds with the project mounted at another path: the path is translated, nothing is shipped', async () => {
    const project = werfProject({ app: 'FROM 127.0.0.1:5000/library/busybox:latest\nRUN echo built-in-a-socket-bound-container\n' });
    try {
      const result = await execa(
        'docker',
        [
          'run',
          '--rm',
          '--network',
          'none',
          '-v',
          '/var/run/docker.sock:/var/run/docker.sock',
          '-v',
          `${project.dir}:/work/app`,
          '-w',
          '/work/app',
          '-e',
          'WERF_RUN_TRUST_PROJECT_CONFIG=1',
          IMAGE,
          '--verbose',
          'build',
        ],
        { reject: false },
      );
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout + result.stderr).toContain('built-in-a-socket-bound-container');
      expect(result.stderr).toMatch(
        new RegExp(
          `project files: bind-mounted /work/app from ${project.dir} on the engine's host \\(translated through the mounts of werf-run's own container [0-9a-f]{12}\\)`,
        ),
      );
      expect(result.stderr).not.toContain('shipped');
      expect(await managedContainers('/work/app')).toEqual([]);
    } finally {
      await project.cleanup();
    }
  });

  it('a werf-run on the host leaves alone the live werf of one in a host-network container (the same host name, other PIDs)', async () => {
    const project = werfProject({
      app: 'FROM 127.0.0.1:5000/library/busybox:latest\nRUN echo slow-step-begins && sleep 8 && echo slow-step-ends\n',
    });
    const neighbour = werfProject({ app: 'FROM 127.0.0.1:5000/library/busybox:latest\n' });
    try {
      // --network host: the job's host name is this machine's, as in CI jobs on the host network.
      const job = execa(
        'docker',
        [
          'run',
          '--rm',
          '--network',
          'host',
          '-v',
          '/var/run/docker.sock:/var/run/docker.sock',
          '-v',
          `${project.dir}:/work/app`,
          '-w',
          '/work/app',
          '-e',
          'WERF_RUN_TRUST_PROJECT_CONFIG=1',
          IMAGE,
          'build',
        ],
        { reject: false },
      );
      const werfContainer = async (): Promise<string> =>
        (
          await execa('docker', ['ps', '-q', '--filter', 'label=werf-run.project=/work/app', '--filter', 'label=werf-run.mode'])
        ).stdout.trim();
      const deadline = Date.now() + 60_000;
      while (!(await werfContainer()) && Date.now() < deadline && job.exitCode === null) await new Promise((r) => setTimeout(r, 200));
      expect(await werfContainer(), "the job's werf container runs").not.toBe('');
      // Its owner PID means nothing here: before, the host's werf-run took it for a dead (or reused) PID and removed the live container.
      const host = await runWerfRun(['version'], { cwd: neighbour.dir });
      expect(host.exitCode, host.stderr).toBe(0);
      expect(host.stderr).not.toContain('left behind by an earlier run');
      const result = await job;
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout + result.stderr).toContain('slow-step-ends');
      expect(await managedContainers('/work/app')).toEqual([]);
    } finally {
      await Promise.all([project.cleanup(), neighbour.cleanup()]);
    }
  });

  it('a job killed with its werf-run leaves a werf container that the next run on the engine removes, saying why', async () => {
    const project = werfProject({ app: 'FROM 127.0.0.1:5000/library/busybox:latest\nRUN echo slow-step-begins && sleep 60\n' });
    const neighbour = werfProject({ app: 'FROM 127.0.0.1:5000/library/busybox:latest\n' });
    const name = `werf-run-it-job-${process.pid}`;
    try {
      const job = execa(
        'docker',
        [
          'run',
          '--rm',
          '--name',
          name,
          '-v',
          '/var/run/docker.sock:/var/run/docker.sock',
          '-v',
          `${project.dir}:/work/app`,
          '-w',
          '/work/app',
          '-e',
          'WERF_RUN_TRUST_PROJECT_CONFIG=1',
          IMAGE,
          'build',
        ],
        { reject: false },
      );
      const werfContainer = async (): Promise<string> =>
        (
          await execa('docker', ['ps', '-aq', '--filter', 'label=werf-run.project=/work/app', '--filter', 'label=werf-run.mode'])
        ).stdout.trim();
      const deadline = Date.now() + 60_000;
      while (!(await werfContainer()) && Date.now() < deadline && job.exitCode === null) await new Promise((r) => setTimeout(r, 200));
      const left = await werfContainer();
      expect(left, "the job's werf container runs").not.toBe('');
      const labels = JSON.parse((await execa('docker', ['inspect', '--format', '{{json .Config.Labels}}', left])).stdout) as Record<
        string,
        string
      >;
      const jobId = (await execa('docker', ['inspect', '--format', '{{.Id}}', name])).stdout.trim();
      expect(labels['werf-run.owner-container']).toBe(jobId);
      // The runner gives up on the job: its container is killed with werf-run in it, the werf container stays.
      await execa('docker', ['kill', name]);
      await job;
      expect(await werfContainer()).toBe(left);
      const next = await runWerfRun(['version'], { cwd: neighbour.dir });
      expect(next.exitCode, next.stderr).toBe(0);
      expect(next.stderr).toContain(
        `removed container ${left.slice(0, 12)} left behind by an earlier run: the container its werf-run ran in (${jobId.slice(0, 12)}) is gone or stopped`,
      );
      expect(await managedContainers('/work/app')).toEqual([]);
    } finally {
      await execa('docker', ['rm', '-f', name], { reject: false });
      await Promise.all([project.cleanup(), neighbour.cleanup()]);
    }
  });
});
