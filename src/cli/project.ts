/** Where the project is: the git root of the working directory, as werf sees it. */
import { execa } from 'execa';

export async function findProjectRoot(cwd: string): Promise<{ root: string; isGit: boolean }> {
  const result = await execa('git', ['rev-parse', '--show-toplevel'], { cwd, reject: false });
  if (result.exitCode === 0 && result.stdout.trim()) return { root: result.stdout.trim(), isGit: true };
  return { root: cwd, isGit: false };
}
