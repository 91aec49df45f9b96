/**
 * werf sees the project's git repository wherever it is checked out: the
 * stand-in opens it as werf does (upward lookup of a valid .git, HEAD through
 * git, a local cache keyed on the work tree's path; rig/image/werf cites
 * werf's source) and `werf config render --log-verbose` says what it found.
 * Real git, real engine, real werf-run processes.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_IMAGE, managedContainers, removeVolumes, runWerfRun } from './support.js';

const base = mkdtempSync(path.join(os.tmpdir(), 'werf-run-it-git-'));
chmodSync(base, 0o755);
const volumes: string[] = [];
afterAll(async () => {
  rmSync(base, { recursive: true, force: true });
  await removeVolumes(volumes);
});

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'protocol.file.allow=always', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();

/** A committed repository with werf.yaml, a werf-run config and a subdirectory. */
function repo(name: string, extra: Record<string, string> = {}): string {
  const dir = path.join(base, name);
  const id = `${path.basename(base)}${name}`.replace(/[^a-zA-Z0-9]/g, '').toLowerCase();
  const vols = [`werf-run-it-${id}-storage`, `werf-run-it-${id}-home`];
  volumes.push(...vols);
  const files: Record<string, string> = {
    'werf.yaml': `project: ${name}\nconfigVersion: 1\n`,
    '.werfrunrc.json': JSON.stringify({
      image: { reference: TEST_IMAGE },
      network: 'host',
      volumes: { storage: vols[0], werfHome: vols[1] },
    }),
    'sub/deeper/f': 'f\n',
    // A werf project in a subdirectory of the repository: werf reads werf.yaml where it runs, the work tree is found upward.
    'sub/werf.yaml': `project: ${name}-sub\nconfigVersion: 1\n`,
    ...extra,
  };
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', `${name} first`);
  return dir;
}

const cacheDir = (workTree: string): string =>
  `/home/build/.werf/local_cache/git_worktrees/9/local/${createHash('sha256').update(workTree).digest('hex')}`;

/** Runs `werf config render --log-verbose` through werf-run from `cwd` and returns what werf saw. */
async function whatWerfSees(cwd: string): Promise<{ workTree?: string; head?: string; cache?: string; config: string }> {
  const result = await runWerfRun(['-q', 'config', 'render', '--log-verbose'], { cwd });
  expect(result.exitCode, result.stderr).toBe(0);
  const line = (name: string): string | undefined => new RegExp(`^│ git ${name}: (.*)$`, 'm').exec(result.stderr)?.[1];
  return { workTree: line('work tree'), head: line('head commit'), cache: line('local cache'), config: result.stdout };
}

describe('werf sees the git repository', () => {
  it('an ordinary checkout, from the root and from a subdirectory; the git cache is keyed on its own path', async () => {
    const dir = repo('plain');
    const head = git(dir, 'rev-parse', 'HEAD');
    expect(await whatWerfSees(dir)).toEqual({
      workTree: dir,
      head: `${head} plain first`,
      cache: cacheDir(dir),
      config: 'project: plain\nconfigVersion: 1\n',
    });
    expect(await whatWerfSees(path.join(dir, 'sub'))).toEqual({
      workTree: dir,
      head: `${head} plain first`,
      cache: cacheDir(dir),
      config: 'project: plain-sub\nconfigVersion: 1\n',
    });
    // A second project gets its own cache key (at a fixed mount path both would share one).
    const other = repo('other');
    expect((await whatWerfSees(other)).cache).toBe(cacheDir(other));
    expect(cacheDir(other)).not.toBe(cacheDir(dir));
    expect(await managedContainers(dir)).toEqual([]);
  });

  it("a git worktree (.git is a file naming the main repository's .git/worktrees/NAME)", async () => {
    const main = repo('main');
    const wt = path.join(base, 'wt');
    git(main, 'worktree', 'add', '-q', '-b', 'feature', wt);
    writeFileSync(path.join(wt, 'sub', 'new'), 'n\n');
    git(wt, 'add', '-A');
    git(wt, 'commit', '-qm', 'on the worktree');
    const head = git(wt, 'rev-parse', 'HEAD');
    for (const cwd of [wt, path.join(wt, 'sub')]) {
      expect(await whatWerfSees(cwd)).toMatchObject({ workTree: wt, head: `${head} on the worktree`, cache: cacheDir(wt) });
    }
  });

  it("a submodule (.git is a file naming the superproject's .git/modules/NAME)", async () => {
    const lib = repo('lib-origin');
    const sup = repo('super');
    git(sup, 'submodule', 'add', '-q', lib, 'lib');
    git(sup, 'commit', '-qm', 'add lib');
    const libDir = path.join(sup, 'lib');
    const head = git(libDir, 'rev-parse', 'HEAD');
    expect(await whatWerfSees(libDir)).toMatchObject({
      workTree: libDir,
      head: `${head} lib-origin first`,
      config: 'project: lib-origin\nconfigVersion: 1\n',
    });
    expect(await whatWerfSees(path.join(libDir, 'sub'))).toMatchObject({
      workTree: libDir,
      head: `${head} lib-origin first`,
      config: 'project: lib-origin-sub\nconfigVersion: 1\n',
    });
    expect(await whatWerfSees(sup)).toMatchObject({ workTree: sup, head: `${git(sup, 'rev-parse', 'HEAD')} add lib` });
  });

  it('a directory named ..dots is inside the project', async () => {
    const dir = repo('dots', { '..dots/werf.yaml': 'project: dots-sub\nconfigVersion: 1\n' });
    expect(await whatWerfSees(path.join(dir, '..dots'))).toMatchObject({ workTree: dir, cache: cacheDir(dir) });
  });

  it('a checkout owned by uid 4321, readable by uid 1000 only through an ACL', async () => {
    const dir = repo('foreign');
    const head = git(dir, 'rev-parse', 'HEAD');
    execFileSync('chown', ['-R', '4321:4321', dir]);
    execFileSync('chmod', ['-R', 'o-rwx', dir]);
    execFileSync('setfacl', ['-R', '-m', 'u:1000:rwX', dir]);
    for (const cwd of [dir, path.join(dir, 'sub')]) {
      expect(await whatWerfSees(cwd)).toMatchObject({ workTree: dir, head: `${head} foreign first` });
    }
  });
});
