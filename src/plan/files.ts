/**
 * Files handed into the werf container through the Engine API's archive
 * upload (after create, before start) instead of bind mounts: they work on
 * every engine (remote, Desktop, socket-bound CI containers) and nothing is
 * written to the host's disk. What goes into the archive is decided here,
 * purely; run/inject.ts packs and uploads it.
 */
import path from 'node:path';

export interface InjectedFile {
  /** Absolute, inside the container. */
  path: string;
  content: Buffer;
  /** e.g. 0o600 */
  mode: number;
  /** Default: the image user's (plan/contract.ts). */
  uid?: number;
  gid?: number;
  /** Never printed: --dry-run, --verbose and doctor show only path, size and "(secret)". */
  secret?: boolean;
  /**
   * The path is in a volume (it outlives the container) and names its content
   * (a hash in the name, so it is never rewritten in place): when the
   * container has it already with this content, it is not copied again.
   */
  kept?: boolean;
}

/**
 * The files still to copy: a kept file the container already holds is left
 * out (`held` is the size of what the container has at that path, undefined
 * when nothing; the name carries the content's hash, so the same size there
 * is the same file). Uploading an archive costs the engine a re-exec'd
 * process and a mount (about 150 ms on Docker 20.10) even for one small
 * file; asking for a path's stat costs a few ms.
 */
/**
 * Whether a mode from the engine's path stat (Go's os.FileMode, as
 * X-Docker-Container-Path-Stat carries it) is a regular file: none of
 * ModeDir, ModeSymlink, ModeDevice, ModeNamedPipe, ModeSocket,
 * ModeCharDevice, ModeIrregular (go/src/io/fs/fileinfo.go).
 */
export function isRegularFile(mode: number): boolean {
  const type = (1 << 31) | (1 << 27) | (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19);
  return (mode & type) >>> 0 === 0;
}

export function filesToCopy(files: readonly InjectedFile[], held: ReadonlyMap<string, number | undefined>): InjectedFile[] {
  return files.filter((f) => !f.kept || held.get(f.path) !== f.content.length);
}

/** One entry of the uploaded archive, with its name relative to `/` (where it is extracted). */
export type ArchiveEntry =
  | { type: 'directory'; name: string; mode: number; uid: number; gid: number }
  | { type: 'file'; name: string; mode: number; uid: number; gid: number; content: Buffer };

/** A directory mode that lets in exactly who may read the file: each read bit gains its execute bit, and the owner always has rwx. */
export function dirModeFor(fileMode: number): number {
  const read = fileMode & 0o444;
  return 0o700 | read | (read >> 2);
}

/** Fills in the image user's ids where a file names none. */
export function ownedBy(files: readonly InjectedFile[], owner: { uid: number; gid: number }): InjectedFile[] {
  return files.map((f) => ({ ...f, uid: f.uid ?? owner.uid, gid: f.gid ?? owner.gid }));
}

/**
 * The archive's entries, extracted at `/`: each file, preceded by the
 * directories between it and the deepest of `existing` that holds it (those
 * are created owned by the file's owner, searchable by whoever may read the
 * file: 0600 -> 0700, 0644 -> 0755). Directories in `existing`
 * (the image user's home, /tmp, /) are never in the archive: the engine would
 * apply the entry's owner and mode to them.
 */
export function archiveEntries(files: readonly InjectedFile[], existing: readonly string[]): ArchiveEntry[] {
  const kept = [...new Set([...existing, '/'].map((d) => path.posix.resolve(d)))];
  const entries: ArchiveEntry[] = [];
  const made = new Set<string>();
  for (const file of files) {
    if (!path.posix.isAbsolute(file.path)) throw new Error(`an injected file's path must be absolute: ${file.path}`);
    const target = path.posix.resolve(file.path);
    const uid = file.uid ?? 0;
    const gid = file.gid ?? uid;
    const base = kept.filter((d) => d === '/' || target.startsWith(`${d}/`)).sort((a, b) => b.length - a.length)[0] ?? '/';
    const dirs: string[] = [];
    for (let dir = path.posix.dirname(target); dir !== base && dir !== '/'; dir = path.posix.dirname(dir)) dirs.unshift(dir);
    for (const dir of dirs) {
      if (made.has(dir)) continue;
      made.add(dir);
      entries.push({ type: 'directory', name: dir.slice(1), mode: dirModeFor(file.mode), uid, gid });
    }
    entries.push({ type: 'file', name: target.slice(1), mode: file.mode, uid, gid, content: file.content });
  }
  return entries;
}

export const octal = (mode: number): string => `0${mode.toString(8).padStart(3, '0')}`;

/** What --dry-run, --verbose and doctor may show of a file: never a secret's content. */
export function describeInjectedFile(file: InjectedFile): string {
  const owner = file.uid === undefined ? 'image user' : `uid ${file.uid}`;
  const kept = file.kept ? '; kept in its volume, copied only when the volume lacks it' : '';
  return `${file.path} (${file.content.length} bytes, mode ${octal(file.mode)}, ${owner}${file.secret ? ', secret' : ''}${kept})`;
}
