import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { findProjectRoot, gitRootByGit } from './project.js';

/** Real repositories made with git, and git's own answer to compare with. */
describe('the project root, found as git finds it', () => {
  const base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'wr-project-')));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: 'ignore' });

  const repo = path.join(base, 'repo');
  mkdirSync(path.join(repo, 'a', 'b'), { recursive: true });
  git(repo, 'init', '-q');
  git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'x');
  const worktree = path.join(base, 'wt');
  git(repo, 'worktree', 'add', '-q', worktree);
  const outside = path.join(base, 'plain');
  mkdirSync(outside);
  const link = path.join(base, 'link');
  symlinkSync(path.join(repo, 'a'), link);

  it.each([
    ['the repository root', repo],
    ['a subdirectory', path.join(repo, 'a', 'b')],
    ['a worktree (.git is a file)', worktree],
    ['a path through a symlink', link],
  ])('%s: the same root as git rev-parse --show-toplevel', async (_name, cwd) => {
    const expected = await gitRootByGit(cwd);
    expect(expected).toBeDefined();
    expect(await findProjectRoot(cwd, {})).toEqual({ root: expected, isGit: true });
  });

  it('outside any repository: the working directory, not a git project', async () => {
    expect(await gitRootByGit(outside)).toBeUndefined();
    expect(await findProjectRoot(outside, {})).toEqual({ root: outside, isGit: false });
  });

  it('GIT_DIR and friends steer git: then git itself answers', async () => {
    // With GIT_WORK_TREE git takes the given tree as the top level, wherever cwd is.
    const env = { GIT_DIR: path.join(repo, '.git'), GIT_WORK_TREE: repo };
    const before = { ...process.env };
    Object.assign(process.env, env);
    try {
      expect(await findProjectRoot(outside, env)).toEqual({ root: repo, isGit: true });
    } finally {
      for (const key of Object.keys(env)) if (before[key] === undefined) delete process.env[key];
    }
  });
});
