/** Where the project is: the git root of the working directory, as werf sees it, and the git dirs beyond it. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { gitDirsToMount } from '../plan/paths.js';
import { pickMarkerFiles, type ProjectMarker } from '../plan/project-view.js';

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

/**
 * What tells this checkout apart from another at the same path on the
 * engine's host: git's HEAD and the sha256 of a few small files at the root
 * (read here; project-view.ts asks the engine's side for the same).
 */
export async function readProjectMarker(root: string, isGit: boolean): Promise<ProjectMarker> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const sized = await Promise.all(
    entries.map(async (e) => ({ name: e.name, isFile: e.isFile(), size: e.isFile() ? (await stat(path.join(root, e.name)).catch(() => undefined))?.size ?? 0 : 0 })),
  );
  const files: ProjectMarker['files'] = [];
  for (const name of pickMarkerFiles(sized)) {
    const content = await readFile(path.join(root, name)).catch(() => undefined);
    if (content) files.push({ name, sha256: createHash('sha256').update(content).digest('hex') });
  }
  const head = isGit
    ? await new Promise<string>((resolve) => {
        execFile('git', ['-c', 'safe.directory=*', 'rev-parse', '-q', '--verify', 'HEAD'], { cwd: root, encoding: 'utf8' }, (error, stdout) => resolve(error ? 'none' : stdout.trim() || 'none'));
      })
    : 'none';
  return { root, files, head };
}
