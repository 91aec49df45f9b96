/**
 * werf writes into the checkout (a `git worktree add` in its git dir for every
 * uncached git archive, build reports, --dev's commit: the stand-in does what
 * werf/werf's pkg/true_git does, rig/image/werf's worktree block). werf-run
 * runs werf as the checkout's owner: these checkouts belong to 1000 (a
 * laptop), 1001 (a GitHub-hosted runner), 4321 (any other uid) and root (a
 * root CI runner), mode 0755 as git leaves them. Real git, real buildah, real
 * engine, real werf-run processes.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { REPO_ROOT, TEST_IMAGE, managedContainers, removeVolumes, rig, runWerfRun } from './support.js';

const base = mkdtempSync(path.join(os.tmpdir(), 'werf-run-it-owner-'));
chmodSync(base, 0o755);
const volumes = new Set<string>();
afterAll(async () => {
  rmSync(base, { recursive: true, force: true });
  await removeVolumes([...volumes]);
});

// The host's git runs as root here: safe.directory lets it read checkouts of other uids (as the owner's own git would).
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'protocol.file.allow=always', ...args], {
    cwd,
    // In the environment, so git's children (the clone under submodule add) get it too.
    env: { ...process.env, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory', GIT_CONFIG_VALUE_0: '*' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();

const DOCKERFILE = `FROM ${rig.WERF_RUN_RIG_REGISTRY}/library/busybox\nRUN echo built > /built\n`;

/** A committed werf project owned by `owner`, with volumes named after the test (werf-run adds -uid<N> for uids other than 1000). */
function checkout(name: string, owner: number): string {
  const dir = path.join(base, name);
  const vols = [`werf-run-it-owner-${name}-storage`, `werf-run-it-owner-${name}-home`];
  for (const v of vols) for (const suffix of ['', `-uid${owner}`]) volumes.add(`${v}${suffix}`);
  const files: Record<string, string> = {
    'werf.yaml': `project: ${name}\nconfigVersion: 1\n---\nimage: app\ndockerfile: Dockerfile\n`,
    Dockerfile: DOCKERFILE,
    '.werfrunrc.json': JSON.stringify({
      image: { reference: TEST_IMAGE },
      network: 'host',
      volumes: { storage: vols[0], werfHome: vols[1] },
    }),
  };
  mkdirSync(dir, { mode: 0o755 });
  for (const [file, content] of Object.entries(files)) writeFileSync(path.join(dir, file), content);
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'first');
  execFileSync('chown', ['-R', `${owner}:${owner}`, dir]);
  return dir;
}

/** What the host's git and find say after werf ran: nothing left for the owner's git to trip on. */
async function expectCleanFor(dir: string, owner: number): Promise<void> {
  const foreign = execFileSync('find', [dir, '!', '-uid', String(owner)], { encoding: 'utf8' }).trim();
  expect(foreign, 'files in the checkout owned by another uid').toBe('');
  expect(git(dir, '--no-optional-locks', 'fsck', '--no-progress')).toBe('');
  // Only the report werf was asked for is new; no worktree entry points at a path this host lacks.
  expect(git(dir, '--no-optional-locks', 'status', '--porcelain')).toBe('?? .werf-build-report.json');
  expect(
    git(dir, 'worktree', 'list', '--porcelain')
      .split('\n')
      .filter((l) => l.startsWith('worktree ')),
  ).toEqual([`worktree ${dir}`]);
  expect(await managedContainers(dir)).toEqual([]);
}

describe("werf runs as the checkout's owner and leaves the checkout clean", () => {
  for (const owner of [1000, 1001, 4321]) {
    it(`a checkout owned by uid ${owner}: two builds, the report belongs to the owner`, async () => {
      const dir = checkout(`u${owner}`, owner);
      const first = await runWerfRun(['build', '--save-build-report'], { cwd: dir });
      expect(first.exitCode, first.stderr).toBe(0);
      // The stand-in prepared werf's cached worktree in the project's git dir (the real werf's first write).
      expect(first.stdout + first.stderr).toContain('Building image app');
      const report = statSync(path.join(dir, '.werf-build-report.json'));
      expect({ uid: report.uid, gid: report.gid, mode: report.mode & 0o777 }).toEqual({ uid: owner, gid: owner, mode: 0o644 });
      expect(JSON.parse(readFileSync(path.join(dir, '.werf-build-report.json'), 'utf8')).Images.app.Commit).toBe(
        git(dir, 'rev-parse', 'HEAD'),
      );
      await expectCleanFor(dir, owner);

      const second = await runWerfRun(['build'], { cwd: dir });
      expect(second.exitCode, second.stderr).toBe(0);
      await expectCleanFor(dir, owner);
      if (owner !== 1000) {
        // Its own cache volumes: another uid's files never block it (and build's stay build's).
        const { stdout } = await execa('docker', ['volume', 'ls', '-q', '--filter', `name=werf-run-it-owner-u${owner}-`]);
        expect(stdout.split('\n').sort()).toEqual([
          `werf-run-it-owner-u${owner}-home-uid${owner}`,
          `werf-run-it-owner-u${owner}-storage-uid${owner}`,
        ]);
      }
    });
  }

  it('a root-owned checkout: a build stops before werf starts with the chown that fixes it; reading commands still run', async () => {
    const dir = checkout('root', 0);
    const result = await runWerfRun(['build'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`the checkout ${dir} belongs to root (uid 0)`);
    expect(result.stderr).toContain(`chown -R 1000:1000 ${dir}`);
    expect(result.stderr).not.toContain('werf-run itself did not fail');
    expect(
      git(dir, 'worktree', 'list', '--porcelain')
        .split('\n')
        .filter((l) => l.startsWith('worktree ')),
    ).toEqual([`worktree ${dir}`]);
    // The fix, applied: the same checkout builds.
    execFileSync('chown', ['-R', '1000:1000', dir]);
    const fixed = await runWerfRun(['-q', 'build', '--save-build-report'], { cwd: dir });
    expect(fixed.exitCode, fixed.stderr).toBe(0);
    await expectCleanFor(dir, 1000);
    // A command that only reads runs on a root-owned checkout as before.
    execFileSync('chown', ['-R', '0:0', dir]);
    const render = await runWerfRun(['-q', 'config', 'render'], { cwd: dir });
    expect(render.exitCode, render.stderr).toBe(0);
    expect(render.stdout).toContain('project: root');
  });

  it('a build report outside the project lands where the user asked, owned by the owner', async () => {
    const dir = checkout('outside', 4321);
    const out = path.join(base, 'reports-4321');
    mkdirSync(out, { mode: 0o755 });
    execFileSync('chown', ['4321:4321', out]);
    const result = await runWerfRun(['-q', 'build', '--save-build-report', '--build-report-path', path.join(out, 'report.json')], {
      cwd: dir,
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = statSync(path.join(out, 'report.json'));
    expect([report.uid, report.gid]).toEqual([4321, 4321]);
    expect(JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')).Images.app.WerfImageName).toBe('app');
  });

  it("--dev on a dirty tree commits it to werf's _werf-dev branch, owned by the owner", async () => {
    const dir = checkout('dev', 1001);
    writeFileSync(path.join(dir, 'Dockerfile'), `${DOCKERFILE}RUN echo dirty\n`);
    execFileSync('chown', ['1001:1001', path.join(dir, 'Dockerfile')]);
    const result = await runWerfRun(['build', '--dev'], { cwd: dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(git(dir, 'show', '_werf-dev:Dockerfile')).toContain('RUN echo dirty');
    expect(git(dir, 'rev-parse', '_werf-dev^')).toBe(git(dir, 'rev-parse', 'HEAD'));
    expect(execFileSync('find', [dir, '!', '-uid', '1001'], { encoding: 'utf8' }).trim()).toBe('');
    expect(git(dir, '--no-optional-locks', 'fsck', '--no-progress')).toBe('');
  });

  it('a worktree checkout and a submodule repository build (werf writes in the git dirs they name)', async () => {
    const main = checkout('wtmain', 1000);
    const wt = path.join(base, 'wt');
    git(main, 'worktree', 'add', '-q', '--detach', wt);
    execFileSync('chown', ['-R', '1000:1000', main, wt]);
    const inWt = await runWerfRun(['-q', 'build'], { cwd: wt });
    expect(inWt.exitCode, inWt.stderr).toBe(0);
    // The host's worktree list: the main checkout and the user's own worktree, nothing of werf's.
    expect(
      git(main, 'worktree', 'list', '--porcelain')
        .split('\n')
        .filter((l) => l.startsWith('worktree ')),
    ).toEqual([`worktree ${main}`, `worktree ${wt}`]);
    expect(git(main, '--no-optional-locks', 'fsck', '--no-progress')).toBe('');

    const lib = checkout('lib', 0); // only the submodule's source: root's, as git clones it here
    const sup = checkout('sup', 1000);
    git(sup, 'submodule', 'add', '-q', lib, 'lib');
    git(sup, 'commit', '-qm', 'with lib');
    execFileSync('chown', ['-R', '1000:1000', sup]);
    const listed = (): string[] =>
      git(path.join(sup, 'lib'), 'worktree', 'list', '--porcelain')
        .split('\n')
        .filter((l) => l.startsWith('worktree '));
    const before = listed(); // git names the submodule by its git dir (.git/modules/lib)
    const inSub = await runWerfRun(['-q', 'build'], { cwd: path.join(sup, 'lib') });
    expect(inSub.exitCode, inSub.stderr).toBe(0);
    expect(execFileSync('find', [sup, '!', '-uid', '1000'], { encoding: 'utf8' }).trim()).toBe('');
    expect(listed()).toEqual(before);
    expect(before).toHaveLength(1);
  });

  it('werf-run run by a non-root host user in the docker group (uid 1001, like a GitHub-hosted runner) on a fresh clone', async () => {
    const name = `werfrun-it-gh-${process.pid}`;
    // -o: uid 1001 may be taken by another account on this machine; the test needs that uid, not a unique one.
    execFileSync('useradd', ['-m', '-o', '-u', '1001', '-G', 'docker', name]);
    try {
      const source = checkout('ghsource', 1001);
      const work = `/home/${name}/work`;
      const asRunner = (command: string) =>
        execa('su', ['-', name, '-c', command], { reject: false, env: { ...process.env, WERF_RUN_TEST_IMAGE: TEST_IMAGE } });
      const clone = await asRunner(`git clone -q file://${source} ${work}`);
      expect(clone.exitCode, clone.stderr).toBe(0);
      for (const args of ['build --save-build-report', 'build']) {
        // The project's config names the rig's stand-in image (outside werf's repositories): a grant, consented the way a pipeline does.
        const run = await asRunner(
          `cd ${work} && WERF_RUN_TRUST_PROJECT_CONFIG=1 node ${path.join(REPO_ROOT, 'bin', 'werf-run.cjs')} -q ${args}`,
        );
        expect(run.exitCode, run.stderr).toBe(0);
      }
      expect(statSync(path.join(work, '.werf-build-report.json')).uid).toBe(1001);
      await expectCleanFor(work, 1001);
    } finally {
      execFileSync('userdel', ['-r', name], { stdio: 'ignore' });
    }
  });
});
