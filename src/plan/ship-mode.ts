/**
 * The mode a shipped file gets in the engine's volume. On POSIX hosts it is
 * the file's own (stat). Windows has no POSIX modes: libuv reports 0666 or
 * 0444 for files and directories alike, with no x bit, so werf could enter
 * no shipped directory and run no shipped script. There the mode comes from
 * what git recorded for the file (its index: 100755 or 100644, as git
 * itself keeps it with core.fileMode false), directories get 0755, and a
 * file git does not track gets 0644. Pure.
 */
import type { HostOs } from './host-path.js';

export type ShippedType = 'file' | 'dir' | 'symlink';

/** The file modes of git's index, by path relative to the work tree ('/' separators), from `git ls-files --stage -z`. */
export function indexModes(lsFilesStageZ: string): Map<string, number> {
  const modes = new Map<string, number>();
  // Each record: "<mode> <object> <stage>\t<path>\0" (git-ls-files(1), OUTPUT).
  for (const record of lsFilesStageZ.split('\0')) {
    const match = /^([0-7]{6}) [0-9a-f]+ \d\t(.+)$/s.exec(record);
    if (match) modes.set(match[2]!, parseInt(match[1]!, 8));
  }
  return modes;
}

/** The mode for one shipped entry: its stat mode on POSIX; on Windows from git's index (undefined: not tracked). */
export function shippedMode(type: ShippedType, statMode: number, indexMode: number | undefined, hostOs: HostOs): number {
  if (hostOs === 'posix') return statMode & 0o7777;
  if (type === 'dir') return 0o755;
  if (type === 'symlink') return 0o777;
  return indexMode !== undefined && (indexMode & 0o111) !== 0 ? 0o755 : 0o644;
}
