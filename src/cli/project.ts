/** Where the project is: the git root of the working directory, as werf sees it, and the git dirs beyond it. */
import { execFile } from 'node:child_process';
import { gitDirsToMount } from '../plan/paths.js';

export interface ProjectLocation {
  root: string;
  isGit: boolean;
  /** Git directories outside the root that werf needs too (worktrees' common dir, submodules' `.git/modules/NAME`). */
  gitDirs: string[];
}

/**
 * Asks git itself. `safe.directory=*` on the command line (protected config,
 * honoured by git >= 2.35.2): a checkout owned by another uid (a CI runner as
 * root, the checkout by the runner's user) is still the project, not an error
 * that would shrink the project to the current directory.
 */
export async function findProjectRoot(cwd: string): Promise<ProjectLocation> {
  // node:child_process rather than execa: this runs on every start, and execa's import costs more than git itself.
  const answer = await new Promise<string | undefined>((resolve) => {
    execFile(
      'git',
      ['-c', 'safe.directory=*', 'rev-parse', '--path-format=absolute', '--show-toplevel', '--git-dir', '--git-common-dir'],
      { cwd, encoding: 'utf8' },
      (error, stdout) => resolve(error ? undefined : stdout),
    );
  });
  const [root, gitDir, commonDir] = (answer ?? '').split('\n');
  if (!root || !gitDir || !commonDir) return { root: cwd, isGit: false, gitDirs: [] };
  return { root, isGit: true, gitDirs: gitDirsToMount(root, gitDir, commonDir) };
}
