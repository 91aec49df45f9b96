/** Finding the per-project config file: from the working directory up to the project's git root, in cosmiconfig's order of file forms (load.ts). */
import { fsp } from '../files.js';
import path from 'node:path';

export const MODULE_NAME = 'werfrun';

/** The file forms, in the order they are looked for in each directory. */
export const SEARCH_PLACES = [
  'package.json',
  '.werfrunrc',
  '.werfrunrc.json',
  '.werfrunrc.yaml',
  '.werfrunrc.yml',
  '.werfrunrc.js',
  '.werfrunrc.cjs',
  '.werfrunrc.mjs',
  '.werfrunrc.ts',
  'werfrun.config.js',
  'werfrun.config.cjs',
  'werfrun.config.mjs',
  'werfrun.config.ts',
] as const;

/** The directories searched: cwd, then each parent up to and including stopDir (only cwd when it is outside stopDir). */
export function searchDirs(cwd: string, stopDir: string): string[] {
  const start = path.resolve(cwd);
  const stop = path.resolve(stopDir);
  const relative = path.relative(stop, start);
  // Only a real `..` segment leads out: a directory named `..dots` is inside.
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) return [start];
  const dirs = [start];
  let dir = start;
  while (dir !== stop) {
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dirs.push(parent);
    dir = parent;
  }
  return dirs;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fsp.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** A package.json counts only when it has a `werfrun` key. */
async function packageHasConfig(file: string): Promise<boolean> {
  const text = await fsp.readText(file).catch(() => '');
  try {
    const pkg = JSON.parse(text) as unknown;
    return pkg !== null && typeof pkg === 'object' && MODULE_NAME in pkg;
  } catch {
    // A broken package.json is npm's problem, unless it meant to configure us.
    return text.includes(`"${MODULE_NAME}"`);
  }
}

/** The first config file from cwd up to stopDir, or undefined. */
export async function findConfigFile(cwd: string, stopDir: string): Promise<string | undefined> {
  for (const dir of searchDirs(cwd, stopDir)) {
    for (const place of SEARCH_PLACES) {
      const file = path.join(dir, place);
      if (!(await isFile(file))) continue;
      if (place === 'package.json' && !(await packageHasConfig(file))) continue;
      return file;
    }
  }
  return undefined;
}
