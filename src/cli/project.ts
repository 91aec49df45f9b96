/** Where the project is: the git root of the working directory, as werf sees it. */
import { execFile } from 'node:child_process';

export async function findProjectRoot(cwd: string): Promise<{ root: string; isGit: boolean }> {
  // node:child_process rather than execa: this runs on every start, and execa's import costs more than git itself.
  const root = await new Promise<string | undefined>((resolve) => {
    execFile('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8' }, (error, stdout) => resolve(error ? undefined : stdout.trim()));
  });
  return root ? { root, isGit: true } : { root: cwd, isGit: false };
}
