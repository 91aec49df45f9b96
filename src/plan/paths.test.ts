import { describe, expect, it } from 'vitest';
import { hostPaths } from './host-path.js';
import { gitDirsToMount, isInside } from './paths.js';

describe('isInside', () => {
  it.each([
    ['/a', '/a', true],
    ['/a', '/a/b', true],
    ['/a', '/a/..dots', true],
    ['/a', '/a/..dots/x', true],
    ['/a', '/a/...', true],
    ['/a', '/ab', false],
    ['/a', '/', false],
    ['/a/b', '/a', false],
    ['/a', '/a/b/../../c', false],
    ['/', '/x', true],
  ])('%s holds %s: %s', (parent, child, inside) => {
    expect(isInside(parent, child)).toBe(inside);
  });
});

describe('gitDirsToMount', () => {
  it.each([
    ['an ordinary checkout', '/src/app', '/src/app/.git', '/src/app/.git', []],
    ['a worktree beside its main repository', '/src/wt', '/src/main/.git/worktrees/wt', '/src/main/.git', ['/src/main/.git']],
    ['a worktree inside its main repository', '/src/main/wt', '/src/main/.git/worktrees/wt', '/src/main/.git', ['/src/main/.git']],
    [
      'a submodule (from its own dir)',
      '/src/super/lib',
      '/src/super/.git/modules/lib',
      '/src/super/.git/modules/lib',
      ['/src/super/.git/modules/lib'],
    ],
    ['a superproject with submodules', '/src/super', '/src/super/.git', '/src/super/.git', []],
    ['a worktree of a repository with a separate git dir', '/w', '/g/worktrees/w', '/g', ['/g']],
  ])('%s', (_what, root, gitDir, commonDir, expected) => {
    expect(gitDirsToMount(root, gitDir, commonDir)).toEqual(expected);
  });
});

describe('gitDirsToMount on Windows (simulated with path.win32)', () => {
  const win = hostPaths('win32');
  it.each([
    ['an ordinary checkout, git spelling C:/', 'C:\\src\\app', 'C:/src/app/.git', 'C:/src/app/.git', []],
    ['a worktree beside its main repository', 'C:\\src\\wt', 'C:/src/main/.git/worktrees/wt', 'C:/src/main/.git', ['C:\\src\\main\\.git']],
    [
      'a worktree inside its main repository, drive letter in another case',
      'C:\\src\\main\\wt',
      'c:/src/main/.git/worktrees/wt',
      'c:/src/main/.git',
      ['C:\\src\\main\\.git'],
    ],
    ['a submodule', 'D:\\super\\lib', 'D:/super/.git/modules/lib', 'D:/super/.git/modules/lib', ['D:\\super\\.git\\modules\\lib']],
    ['a worktree whose repository is on a share', 'C:\\w', '//srv/share/g/worktrees/w', '//srv/share/g', ['\\\\srv\\share\\g']],
  ])('%s', (_what, root, gitDir, commonDir, expected) => {
    expect(gitDirsToMount(root, gitDir, commonDir, win)).toEqual(expected);
  });
});
