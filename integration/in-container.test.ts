/**
 * werf-run itself in a container that talks to the host's engine through its
 * socket (GitLab socket binding, devcontainers), with the project mounted at
 * another path than on the host: werf-run finds its own container, translates
 * the path through its mounts, and the build binds the host's checkout, with
 * no shipping. The werf-run image is built here from the rig's Debian image,
 * the Node that runs the tests and the `npm pack`ed werf-run (run `npm run build` first).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { makeTlsFiles } from './engines.js';
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

describe('werf-run in a Pod (a Kubernetes CI runner): the ServiceAccount reaches werf', () => {
  it('werf kubectl get --raw /version reaches the API server with the Pod token, through a kubeconfig werf-run made from it', async () => {
    // The Pod: KUBERNETES_SERVICE_HOST/PORT, the ServiceAccount's token, ca.crt and namespace where the kubelet mounts them, the host's network.
    // The API server: a TLS server on 127.0.0.1 (a private CA, the ca.crt) that answers /version only for the Pod's token.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wr-in-pod-'));
    const token = `pod-sa-token-${process.pid}`;
    const seen: string[] = [];
    const tls = await makeTlsFiles(dir);
    const server = https.createServer({ key: readFileSync(tls.serverKey), cert: readFileSync(tls.serverCert) }, (req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`);
      const ok = req.headers.authorization === `Bearer ${token}` && req.url === '/version';
      const body = JSON.stringify(ok ? { major: '1', minor: '31', gitVersion: 'v1.31.0-in-pod' } : { kind: 'Status', code: 401 });
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const sa = path.join(dir, 'serviceaccount');
    mkdirSync(sa);
    writeFileSync(path.join(sa, 'token'), token);
    writeFileSync(path.join(sa, 'ca.crt'), readFileSync(tls.caFile));
    writeFileSync(path.join(sa, 'namespace'), 'ci');
    const project = werfProject({ app: 'FROM 127.0.0.1:5000/library/busybox:latest\n' });
    try {
      const result = await execa(
        'docker',
        [
          'run',
          '--rm',
          '--network',
          'host',
          '-v',
          '/var/run/docker.sock:/var/run/docker.sock',
          '-v',
          `${sa}:/var/run/secrets/kubernetes.io/serviceaccount:ro`,
          '-e',
          'KUBERNETES_SERVICE_HOST=127.0.0.1',
          '-e',
          `KUBERNETES_SERVICE_PORT=${port}`,
          '-v',
          `${project.dir}:/work/app`,
          '-w',
          '/work/app',
          '-e',
          'WERF_RUN_TRUST_PROJECT_CONFIG=1',
          IMAGE,
          '--verbose',
          'kubectl',
          'get',
          '--raw',
          '/version',
        ],
        { reject: false },
      );
      expect(result.exitCode, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ major: '1', minor: '31', gitVersion: 'v1.31.0-in-pod' });
      expect(seen).toEqual([`GET /version Bearer ${token}`]);
      expect(result.stderr).toContain(
        `in-cluster: werf runs in a Pod with no kubeconfig; werf gets the Pod's access to https://127.0.0.1:${port} (namespace ci) as /home/build/.kube/config (mode 0600)`,
      );
      expect(result.stderr).not.toContain(token);
      expect(await managedContainers('/work/app')).toEqual([]);
    } finally {
      server.close();
      await project.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
