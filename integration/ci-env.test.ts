/**
 * CI setup in the werf container: `werf ci-env <ci> --as-file` sourced before
 * the command, in one container. The CI examples of
 * docs/credentials-clusters-ci.md (docs/examples/*.yml) are run here as they
 * are written: their werf-run lines, in the CI's environment, against a
 * registry of this test's own that, like GitLab's, accepts only the job token
 * (user gitlab-ci-token, as werf's ci-env logs in).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './engines.js';
import { BIN, REPO_ROOT, cleanEnv, managedContainers, rig, runWerfRun, werfProject } from './support.js';

const TOKEN = `job-token-${process.pid}`;
let dir: string;
let registry: ChildProcess;
let ciRegistry: string;
let project: ReturnType<typeof werfProject>;
let bin: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wr-cienv-'));
  const port = await freePort();
  ciRegistry = `127.0.0.1:${port}`;
  const { stdout: htpasswd } = await execa('htpasswd', ['-Bbn', 'gitlab-ci-token', TOKEN]);
  writeFileSync(path.join(dir, 'htpasswd'), `${htpasswd}\n`);
  writeFileSync(
    path.join(dir, 'registry.yml'),
    `version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: ${dir}/data}\nhttp: {addr: "${ciRegistry}"}\nauth:\n  htpasswd: {realm: ci, path: ${dir}/htpasswd}\n`,
  );
  registry = spawn('docker-registry', ['serve', path.join(dir, 'registry.yml')], { stdio: 'ignore' });
  for (
    let i = 0;
    i < 50 &&
    (await fetch(`http://${ciRegistry}/v2/`).then(
      () => false,
      () => true,
    ));
    i++
  )
    await new Promise((r) => setTimeout(r, 100));
  // `werf-run` on PATH, as `npm install -g werf-run` puts it there.
  bin = path.join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'werf-run'), `#!/bin/sh\nexec node ${BIN} "$@"\n`);
  chmodSync(path.join(bin, 'werf-run'), 0o755);
  mkdirSync(path.join(dir, 'home'));
  mkdirSync(path.join(dir, 'no-docker-config'));
  project = werfProject({ app: `FROM ${rig.WERF_RUN_RIG_BUSYBOX}\n` });
});
afterAll(async () => {
  registry?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
  await project?.cleanup();
});

/** No docker config at all, no CI of the machine's own. */
const base = () => ({
  HOME: path.join(dir, 'home'),
  DOCKER_CONFIG: path.join(dir, 'no-docker-config'),
  DOCKER_AUTH_CONFIG: undefined,
  GITLAB_CI: undefined,
  GITHUB_ACTIONS: undefined,
  WERF_REPO: undefined,
  PATH: `${bin}:${process.env.PATH}`,
});

const gitlabEnv = (token = TOKEN) => ({
  ...base(),
  CI: 'true',
  GITLAB_CI: 'true',
  CI_REGISTRY: ciRegistry,
  CI_REGISTRY_IMAGE: `${ciRegistry}/group/app`,
  CI_REGISTRY_USER: 'gitlab-ci-token',
  CI_JOB_TOKEN: token,
});

/** The lines of a job's script that run werf-run (the install lines need the internet). */
function exampleLines(file: string, pick: (doc: Record<string, unknown>) => string[]): string[] {
  const lines = pick(parse(readFileSync(path.join(REPO_ROOT, 'docs', 'examples', file), 'utf8')) as Record<string, unknown>).filter((l) =>
    /^werf-run /.test(l),
  );
  expect(lines.length).toBeGreaterThan(0);
  return lines;
}

async function runLines(lines: string[], env: Record<string, string | undefined>) {
  const results = [];
  for (const line of lines) {
    const r = await execa('sh', ['-c', line], {
      cwd: project.dir,
      env: cleanEnv(env),
      extendEnv: false,
      reject: false,
      encoding: 'utf8',
      timeout: 240_000,
    });
    results.push({ exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) });
  }
  return results;
}

describe('werf ci-env in the same container as the command', () => {
  it('GitLab docker executor example: pushes to CI_REGISTRY_IMAGE with the job token and no docker config; the token shows nowhere', async () => {
    const lines = exampleLines('gitlab-ci.yml', (doc) => (doc.build as { script: string[] }).script);
    const [result] = await runLines(lines, gitlabEnv());
    expect(result!.exitCode, result!.stderr).toBe(0);
    expect(result!.stdout).toContain(`│ Pushed ${ciRegistry}/group/app:app`);
    expect(result!.stdout + result!.stderr).not.toContain(TOKEN);
    expect(await managedContainers(project.dir)).toEqual([]);
  });

  it("a wrong job token fails in ci-env, with werf's message and exit code, and the command does not run", async () => {
    const result = await runWerfRun(['build'], { cwd: project.dir, env: gitlabEnv('not-the-token') });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`unable to login into docker repo ${ciRegistry}/group/app`);
    expect(result.stdout).not.toContain('Building image');
  });

  it('--dry-run shows ci-env and the command in one container, the token passed by name only', async () => {
    const result = await runWerfRun(['--dry-run', 'build'], { cwd: project.dir, env: gitlabEnv() });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      '# ciEnv auto: in GitLab CI, werf ci-env gitlab --as-file is sourced before werf build in the same container',
    );
    expect(result.stdout).toContain(`sh -c 'f="$(werf ci-env gitlab --as-file)" || exit $?; . "$f" || exit $?; exec werf "$@"' werf build`);
    expect(result.stdout).toMatch(/--env CI_JOB_TOKEN( |$)/m);
    expect(result.stdout).not.toContain(TOKEN);
  });

  it('GitHub Actions example: sources ci-env github and builds into WERF_REPO', async () => {
    const lines = exampleLines('github-actions.yml', (doc) => {
      const jobs = doc.jobs as Record<string, { steps: { run?: string }[] }>;
      return Object.values(jobs).flatMap((job) => job.steps.flatMap((s) => (s.run ? [s.run] : [])));
    });
    // No GITHUB_TOKEN: werf's ci-env would log in to ghcr.io, which this offline machine cannot reach; WERF_REPO is kept by ci-env.
    const repo = `${rig.WERF_RUN_RIG_REGISTRY}/werf-run-it/gh-${process.pid}`;
    const results = await runLines(lines, {
      ...base(),
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: 'Org/App',
      GITHUB_ACTOR: 'bot',
      WERF_REPO: repo,
    });
    for (const r of results) expect(r.exitCode, r.stderr).toBe(0);
    expect(results.at(-1)!.stdout).toContain(`│ Pushed ${repo}:app`);
  });
});

describe('what cannot work in the werf container stops early (exit 2)', () => {
  it.each([
    [
      ['ci-env', 'gitlab', '--as-file'],
      {},
      'werf ci-env writes a docker config and a script inside the werf container',
      '"ciEnv": "gitlab"',
    ],
    [['run'], {}, 'werf run is "not implemented for Buildah mode"', 'docker run'],
    [['build'], { WERF_BUILDAH_MODE: 'native-rootless' }, 'WERF_BUILDAH_MODE=native-rootless', 'unset WERF_BUILDAH_MODE'],
  ])('werf-run %j', async (args, env, why, fix) => {
    const result = await runWerfRun(args, { cwd: project.dir, env: { ...base(), ...env } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(why);
    expect(result.stderr).toContain(fix);
    expect(await managedContainers(project.dir)).toEqual([]);
  });
});
