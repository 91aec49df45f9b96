/** findProjectRoot against real git repositories in temp dirs (real processes, no Docker). */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findProjectRoot } from './project.js';

const base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'werf-run-project-')));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'protocol.file.allow=always', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function repo(name: string): string {
  const dir = path.join(base, name);
  mkdirSync(path.join(dir, 'sub', 'deeper'), { recursive: true });
  writeFileSync(path.join(dir, 'werf.yaml'), 'project: x\n');
  writeFileSync(path.join(dir, 'sub', 'deeper', 'f'), 'f\n');
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'init');
  return dir;
}

describe('findProjectRoot (real git)', () => {
  it('finds the root of an ordinary checkout from a subdirectory, with no extra git dirs', async () => {
    const dir = repo('plain');
    expect(await findProjectRoot(path.join(dir, 'sub', 'deeper'))).toEqual({ root: dir, isGit: true, gitDirs: [] });
  });

  it('a worktree: the main repository\'s .git is needed too', async () => {
    const main = repo('main');
    const wt = path.join(base, 'wt');
    git(main, 'worktree', 'add', '-q', wt);
    expect(await findProjectRoot(path.join(wt, 'sub'))).toEqual({ root: wt, isGit: true, gitDirs: [path.join(main, '.git')] });
  });

  it('a submodule: its .git/modules dir in the superproject is needed; the superproject needs nothing more', async () => {
    const lib = repo('lib-origin');
    const sup = repo('super');
    git(sup, 'submodule', 'add', '-q', lib, 'lib');
    git(sup, 'commit', '-qm', 'add lib');
    expect(await findProjectRoot(path.join(sup, 'lib', 'sub'))).toEqual({ root: path.join(sup, 'lib'), isGit: true, gitDirs: [path.join(sup, '.git', 'modules', 'lib')] });
    expect(await findProjectRoot(sup)).toEqual({ root: sup, isGit: true, gitDirs: [] });
  });

  it('a checkout owned by another uid is still found from its subdirectory (no "dubious ownership")', async () => {
    const dir = repo('foreign');
    execFileSync('chown', ['-R', '4321:4321', dir]);
    // The check is real: plain git refuses this checkout here.
    expect(() => git(path.join(dir, 'sub'), 'rev-parse', '--show-toplevel')).toThrow(/dubious ownership/);
    expect(await findProjectRoot(path.join(dir, 'sub'))).toEqual({ root: dir, isGit: true, gitDirs: [] });
  });

  it('a directory named ..dots is inside the project', async () => {
    const dir = repo('dots');
    mkdirSync(path.join(dir, '..dots'));
    writeFileSync(path.join(dir, '..dots', 'f'), 'f\n');
    expect(await findProjectRoot(path.join(dir, '..dots'))).toEqual({ root: dir, isGit: true, gitDirs: [] });
  });

  it('outside any repository: the directory itself, not a git project', async () => {
    const dir = path.join(base, 'nogit');
    mkdirSync(dir);
    expect(await findProjectRoot(dir)).toEqual({ root: dir, isGit: false, gitDirs: [] });
  });
});
