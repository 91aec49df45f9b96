/**
 * Path facts about the project, decided purely: what is inside the checkout,
 * and which git directories outside it werf needs mounted too.
 */
import path from 'node:path';
import { hostPaths, type HostPaths } from './host-path.js';

/**
 * Whether `child` is `parent` or below it (POSIX paths: the container's, or a
 * POSIX host's; host paths in general go through host-path.ts). Only a real `..` segment leads out:
 * a directory named `..dots` is inside.
 */
export function isInside(parent: string, child: string): boolean {
  const relative = path.posix.relative(path.posix.resolve(parent), path.posix.resolve(child));
  return relative === '' || (relative !== '..' && !relative.startsWith('../') && !path.posix.isAbsolute(relative));
}

/**
 * The git directories werf needs beyond the checkout, from git's own answers
 * (`rev-parse --git-dir --git-common-dir`): in a worktree `.git` is a file
 * naming `<main>/.git/worktrees/NAME`, whose objects and refs are in the
 * common dir `<main>/.git`; a submodule's is `<super>/.git/modules/NAME`.
 * Only what lies outside the checkout, and nothing twice (a dir inside
 * another listed one is covered by it).
 */
export function gitDirsToMount(root: string, gitDir: string, commonDir: string, hp: HostPaths = hostPaths('posix')): string[] {
  // git on Windows prints C:/x; the walk and the mapping spell it C:\x (host-path.ts normalize).
  const outside = [commonDir, gitDir].map((d) => hp.normalize(d)).filter((d) => !hp.isInside(root, d));
  return [...new Set(outside)].filter((d, _, all) => !all.some((other) => other !== d && hp.isInside(other, d)));
}
