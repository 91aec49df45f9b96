/**
 * Where the project is: the git root of the working directory, as werf sees
 * it. Found as git finds it (the nearest directory up from the real path of
 * the working directory that has a `.git` directory or file, a worktree's or
 * submodule's), without starting git on every run; git itself answers when
 * its discovery is steered by the environment (GIT_DIR, GIT_WORK_TREE,
 * GIT_CEILING_DIRECTORIES, GIT_DISCOVERY_ACROSS_FILESYSTEM).
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

const GIT_DISCOVERY_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_CEILING_DIRECTORIES', 'GIT_DISCOVERY_ACROSS_FILESYSTEM'];

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** The nearest directory from `dir` up that holds `.git`, or undefined. */
async function gitRootByWalk(dir: string): Promise<string | undefined> {
  for (let current = dir; ; current = path.dirname(current)) {
    if (await exists(path.join(current, '.git'))) return current;
    if (path.dirname(current) === current) return undefined;
  }
}

export async function gitRootByGit(cwd: string): Promise<string | undefined> {
  // Loaded only here: node:child_process is not otherwise needed on a run's way to the engine.
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8' }, (error, stdout) => resolve(error ? undefined : stdout.trim()));
  });
}

export async function findProjectRoot(cwd: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<{ root: string; isGit: boolean }> {
  const steered = GIT_DISCOVERY_ENV.some((name) => env[name]);
  const real = await realpath(cwd).catch(() => cwd);
  const root = steered ? await gitRootByGit(cwd) : await gitRootByWalk(real);
  return root ? { root, isGit: true } : { root: cwd, isGit: false };
}
