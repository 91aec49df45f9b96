/**
 * Files werf writes where the user names them: `--build-report-path`,
 * `--deploy-report-path` (cmd/werf/common/common.go:184,291, also
 * WERF_BUILD_REPORT_PATH and WERF_DEPLOY_REPORT_PATH) and `werf render
 * --output`. Inside the project they land in the mounted checkout; outside it
 * their directory is bind-mounted writable at its own path, so the file lands
 * where the user asked, written by werf's user (the checkout's owner). Only on
 * an engine on this machine: a remote engine's host has other directories.
 */
import path from 'node:path';
import { isInside } from '../plan/paths.js';
import { handover, type Handover } from './handover.js';

const FLAGS = ['--build-report-path', '--deploy-report-path', '--output'];
const VARS = ['WERF_BUILD_REPORT_PATH', 'WERF_DEPLOY_REPORT_PATH'];

/** The values werf's arguments and variables give the output flags. */
export function outputPathsIn(werfArgs: readonly string[], env: Readonly<Record<string, string | undefined>>): string[] {
  const found: string[] = [];
  for (const [i, arg] of werfArgs.entries()) {
    for (const flag of FLAGS) {
      if (arg === flag && werfArgs[i + 1] !== undefined) found.push(werfArgs[i + 1]!);
      else if (arg.startsWith(`${flag}=`)) found.push(arg.slice(flag.length + 1));
    }
  }
  for (const name of VARS) if (env[name]) found.push(env[name]);
  return found;
}

export function outputDirs(input: {
  werfArgs: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  projectRoot: string;
  engineLocal: boolean;
  isDir: (dir: string) => boolean;
}): Handover {
  const dirs = new Set<string>();
  const notes: string[] = [];
  const warnings: string[] = [];
  for (const value of outputPathsIn(input.werfArgs, input.env)) {
    const dir = path.dirname(path.resolve(input.cwd, value));
    if (isInside(input.projectRoot, dir)) continue;
    if (!input.engineLocal) {
      warnings.push(
        `${value} is outside the project and the engine is not on this machine: werf writes it in its container, where it is lost`,
      );
    } else if (!input.isDir(dir)) {
      warnings.push(`${value}: the directory ${dir} does not exist here, so werf cannot write there`);
    } else {
      dirs.add(dir);
    }
  }
  for (const dir of dirs) notes.push(`${dir} bind-mounted writable for werf's output file there (outside the project)`);
  return handover({ mounts: [...dirs].map((dir) => ({ source: dir, target: dir, writable: true })), notes, warnings });
}
