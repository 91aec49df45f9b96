/**
 * `werf-run --export` checked by the real tools of each format, offline:
 * - docker-run: the exported command, run by sh against the rig's engine, builds a project;
 * - compose: `docker-compose config` validates the file, `docker-compose run` builds with it;
 * - gitlab-runner + gitlab-ci: Python's tomllib reads the runner config, and a container made
 *   from exactly its [runners.docker] settings and the job's image and script builds the project
 *   (what GitLab's docker executor does with them);
 * - github-actions: the job's `options:`, volumes and run step, given to the docker CLI as the
 *   GitHub runner does, build the project as uid 1001;
 * - kubernetes: kubectl decodes the Pod into its typed API objects offline and loses nothing.
 * Tools: docker (CLI), docker-compose (Debian's v1), python3, kubectl ($WERF_RUN_TEST_KUBECTL or PATH).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { TEST_IMAGE, runWerfRun, werfProject } from './support.js';

const DOCKERFILE = 'FROM 127.0.0.1:5000/library/busybox:latest\nRUN echo built-from-export > /marker\n';
const KUBECTL = process.env.WERF_RUN_TEST_KUBECTL ?? 'kubectl';

async function exportText(args: string[], cwd: string): Promise<string> {
  const result = await runWerfRun(args, { cwd });
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout;
}

/** Every leaf of `expected` is in `actual` (numbers may come back as strings: Kubernetes quantities). */
function missing(expected: unknown, actual: unknown, at = ''): string[] {
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return [`${at}: expected an object, got ${JSON.stringify(actual)}`];
    const entries = Array.isArray(expected) ? expected.map((v, i) => [String(i), v] as const) : Object.entries(expected);
    return entries.flatMap(([k, v]) => missing(v, (actual as Record<string, unknown>)[k], `${at}.${k}`));
  }
  if (typeof expected === 'number' && typeof actual === 'string') return String(expected) === actual ? [] : [`${at}: ${actual}`];
  return expected === actual ? [] : [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

describe('werf-run --export, checked by real tools', () => {
  const projects: { cleanup(): Promise<void> }[] = [];
  const project = (config: Record<string, unknown> = {}) => {
    const p = werfProject({ app: DOCKERFILE }, config);
    projects.push(p);
    return p;
  };
  afterAll(async () => {
    await Promise.all(projects.map((p) => p.cleanup()));
  });

  it("docker-run with a loopback registry in werf's arguments: network host, as the run would have, and the pasted command pushes", async () => {
    const p = project({ network: undefined });
    const repo = `127.0.0.1:5000/werf-run-it/export-repo-${process.pid}`;
    const result = await runWerfRun(['--export', 'docker-run', 'build', '--repo', repo], { cwd: p.dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('exporting network host: werf talks to loopback addresses (--repo');
    expect(result.stdout).toContain('--network host');
    const run = await execa('sh', ['-c', result.stdout], { cwd: p.dir, reject: false, all: true, timeout: 240_000 });
    expect(run.exitCode, run.all).toBe(0);
    expect(run.all).toContain(`Pushed ${repo}:app`);
  });

  it('docker-run: the pasted command builds the project on the engine', async () => {
    const p = project();
    const text = await exportText(['--export', 'docker-run'], p.dir);
    expect(text).toContain(`--mount type=volume,source=${p.volumes[0]},target=/home/build/.local/share/containers`);
    const run = await execa('sh', ['-c', text], { cwd: p.dir, reject: false, all: true, timeout: 240_000 });
    expect(run.all).toMatch(/Building image app/);
    expect(run.exitCode, run.all).toBe(0);
    // werf's storage really landed on the exported cache volume (the image's directory is empty).
    const ls = await execa('docker', [
      'run',
      '--rm',
      '-v',
      `${p.volumes[0]}:/s`,
      '127.0.0.1:5000/library/busybox:latest',
      'ls',
      '/s/storage',
    ]);
    expect(ls.stdout).toMatch(/overlay/);
  });

  it('docker-run for another host (--mode fuse, no engine needed): the docker CLI takes every flag', async () => {
    const p = project();
    const text = await exportText(['--mode', 'fuse', '-H', 'unix:///nonexistent/docker.sock', '--export', 'docker-run', 'version'], p.dir);
    expect(text).toContain('--device /dev/fuse');
    const run = await execa('sh', ['-c', text], { cwd: p.dir, reject: false, all: true, timeout: 120_000 });
    expect(run.exitCode, run.all).toBe(0);
  });

  it('compose: docker-compose validates the service and builds the project with it', async () => {
    const p = project();
    const text = await exportText(['--export', 'compose'], p.dir);
    writeFileSync(path.join(p.dir, 'compose.yaml'), text);
    const config = await execa('docker-compose', ['-f', 'compose.yaml', 'config'], { cwd: p.dir, reject: false, all: true });
    expect(config.exitCode, config.all).toBe(0);
    expect(config.stdout).toContain('seccomp=unconfined');
    const service = Object.keys((parse(text) as { services: Record<string, unknown> }).services)[0]!;
    expect(service).toBe('werf-it');
    const run = await execa('docker-compose', ['-f', 'compose.yaml', 'run', '--rm', service], {
      cwd: p.dir,
      reject: false,
      all: true,
      timeout: 240_000,
    });
    expect(run.all).toMatch(/Building image app/);
    expect(run.exitCode, run.all).toBe(0);
  });

  it('gitlab-runner + gitlab-ci: a container with the runner settings and the job builds the project', async () => {
    const p = project();
    const toml = await exportText(['--export', 'gitlab-runner'], p.dir);
    const read = await execa('python3', ['-c', 'import json,sys,tomllib; print(json.dumps(tomllib.load(sys.stdin.buffer)))'], {
      input: toml,
    });
    const docker = (JSON.parse(read.stdout) as { runners: { docker: Record<string, unknown> } }).runners.docker;
    expect(docker.security_opt).toEqual(['seccomp:unconfined', 'apparmor:unconfined']);
    const job = Object.values(
      parse(await exportText(['--export', 'gitlab-ci'], p.dir)) as Record<string, { image: string; script: string[] }>,
    )[0]!;
    // ciEnv auto in a GitLab job: werf ci-env gitlab is sourced first, as werf's docs do it (here with no CI_* set, it changes nothing).
    expect(job.script[0]).toBe('. "$(werf ci-env gitlab --as-file)"');
    expect(job.image).toBe(TEST_IMAGE);
    // What the docker executor does: the runner's settings, the job's image, the checkout under /builds.
    const args = ['run', '--rm'];
    for (const opt of docker.security_opt as string[]) args.push('--security-opt', opt);
    for (const device of (docker.devices as string[] | undefined) ?? []) args.push('--device', device);
    if (docker.privileged === true) args.push('--privileged');
    if (typeof docker.network_mode === 'string') args.push('--network', docker.network_mode);
    for (const volume of docker.volumes as string[]) args.push('-v', volume);
    args.push('-v', `${p.dir}:/builds/it`, '-w', '/builds/it', job.image, 'sh', '-c', job.script.join(' && '));
    const run = await execa('docker', args, { reject: false, all: true, timeout: 240_000 });
    expect(run.all).toMatch(/Building image app/);
    expect(run.exitCode, run.all).toBe(0);
  });

  it('github-actions in mode privileged: the container job options and volumes build the project as uid 1001', async () => {
    // No network setting and mode privileged (no step on the runner needed): a container job (the runner's own network is added below, as the rig needs it).
    const p = project({ network: undefined });
    // GitHub's runner owns the checkout as 1001.
    await execa('chown', ['-R', '1001:1001', p.dir]);
    const workflow = parse(await exportText(['--mode', 'privileged', '--allow-privileged', '--export', 'github-actions'], p.dir)) as {
      jobs: Record<
        string,
        { container: { image: string; options: string; volumes: string[] }; steps: { run?: string; env?: Record<string, string> }[] }
      >;
    };
    const job = Object.values(workflow.jobs)[0]!;
    const step = job.steps.find((s) => s.run)!;
    // As the runner does: docker create with the options string, the volumes, HOME=/github/home; the step's env overrides.
    const volumes = job.container.volumes.map((v) => `-v ${v}`).join(' ');
    const env = Object.entries(step.env ?? {})
      .map(([k, v]) => `-e ${k}=${v}`)
      .join(' ');
    // The job sources werf ci-env github first (ciEnv auto, as a run in GitHub Actions would): the runner gives it GITHUB_*;
    // WERF_REPO (the job's vars.WERF_REPO) points at the rig's registry, and no GITHUB_TOKEN: no ghcr.io login offline.
    expect(step.run).toContain('. "$(werf ci-env github --as-file)"');
    const runner = `-e GITHUB_ACTIONS=true -e GITHUB_REPOSITORY=Org/It -e GITHUB_ACTOR=bot -e WERF_REPO=127.0.0.1:5000/werf-run-it/gh-export-${process.pid}`;
    const command = `docker run --rm ${job.container.options} ${volumes} --network host -e HOME=/github/home ${runner} ${env} -v "$PWD":/__w/it/it -w /__w/it/it ${job.container.image} sh -c '${step.run}'`;
    const run = await execa('sh', ['-c', command], { cwd: p.dir, reject: false, all: true, timeout: 240_000 });
    expect(run.all).toMatch(/Building image app/);
    expect(run.exitCode, run.all).toBe(0);
    await execa('docker', ['volume', 'rm', '-f', ...job.container.volumes.map((v) => v.split(':')[0]!)], { reject: false });
  });

  it('github-actions with network: host (a container job cannot have it): the docker run step builds the project as uid 1001', async () => {
    const p = project({ mounts: [{ source: 'werf.yaml', target: '/extra/werf.yaml' }] });
    await execa('chown', ['-R', '1001:1001', p.dir]);
    const text = await exportText(['--export', 'github-actions'], p.dir);
    expect(text).toContain('a container job cannot have --network host');
    const workflow = parse(text) as {
      jobs: Record<string, { container?: unknown; env?: Record<string, string>; steps: { run?: string }[] }>;
    };
    const job = Object.values(workflow.jobs)[0]!;
    expect(job.container).toBeUndefined();
    // First the step that lifts Ubuntu 24.04's user-namespace restriction: a no-op on this kernel (no such AppArmor setting).
    const userns = job.steps.find((s) => s.run?.includes('apparmor_restrict_unprivileged_userns'))!;
    expect((await execa('sh', ['-c', userns.run!], { reject: false, all: true })).exitCode).toBe(0);
    const step = job.steps.find((s) => s.run?.includes('docker run'))!;
    expect(step.run).toContain('--network host');
    expect(step.run).toContain('--user build1001');
    expect(step.run).toContain('"type=bind,source=$PWD/werf.yaml,target=/extra/werf.yaml,readonly"');
    // As the runner does: the step's script, by sh, in the checkout, with the runner's GITHUB_* (ci-env github reads them).
    expect(step.run).toContain('--env GITHUB_REPOSITORY');
    const runnerEnv = {
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: 'Org/It',
      GITHUB_ACTOR: 'bot',
      WERF_REPO: `127.0.0.1:5000/werf-run-it/gh-export-step-${process.pid}`,
    };
    const run = await execa('sh', ['-c', step.run!], { cwd: p.dir, reject: false, all: true, timeout: 240_000, env: runnerEnv });
    expect(run.all).toMatch(/Building image app/);
    expect(run.exitCode, run.all).toBe(0);
  });

  it("kubernetes: kubectl decodes the Pod offline (for its own version's form) and keeps every field", async () => {
    const p = project();
    const version = JSON.parse((await execa(KUBECTL, ['version', '--client', '-o', 'json'])).stdout) as {
      clientVersion: { major: string; minor: string };
    };
    const kubeVersion = `${version.clientVersion.major}.${version.clientVersion.minor.replace(/\D+$/, '')}`;
    for (const mode of ['native', 'fuse'] as const) {
      const text = await exportText(
        ['--mode', mode, '--export', 'kubernetes', '--kube-version', kubeVersion, '--kube-volumes', 'pvc'],
        p.dir,
      );
      const rendered = parse(text) as Record<string, unknown>;
      // `set env --local` decodes into the typed v1.Pod with no cluster: wrong types fail, unknown fields vanish.
      const decoded = await execa(KUBECTL, ['set', 'env', '--local', '-f', '-', '-o', 'json', 'WERF_RUN_EXPORT_CHECK=1'], {
        input: text,
        reject: false,
        all: true,
      });
      expect(decoded.exitCode, decoded.all).toBe(0);
      expect(missing(rendered, JSON.parse(decoded.stdout)), `kubectl ${kubeVersion} dropped or changed these`).toEqual([]);
      const apparmor =
        Number(version.clientVersion.minor.replace(/\D+$/, '')) >= 30
          ? 'appArmorProfile'
          : 'container.apparmor.security.beta.kubernetes.io/werf';
      expect(text).toContain(apparmor);
      if (mode === 'fuse') expect(text).toContain('github.com/fuse: 1');
    }
  });
});
