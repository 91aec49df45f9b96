/**
 * Shipping the checkout to an engine whose host cannot see it: each directory
 * werf needs (the project root, git dirs beyond it) goes into its own named
 * volume, mounted at the same path in the werf container. A manifest (path,
 * type, size, mtime, inode, mode, sha256) kept in a small volume beside them,
 * and a copy of it on this machine, let the next run send only what changed
 * and confirm "nothing changed" from stat data alone, as git's index does.
 * Pure: names, what is shipped, the manifest, its checks and the diff.
 */
import { createHash } from 'node:crypto';

/** 2: entries carry the inode, and the manifest a generation (v1 volumes are shipped afresh). */
const MANIFEST_VERSION = 2;

export interface ManifestEntry {
  type: 'file' | 'dir' | 'symlink';
  size: number;
  mtimeMs: number;
  mode: number;
  /** The inode (git's index keeps it too): a file replaced by another with the same size and mtime is still seen. */
  ino?: number;
  /** Files only. */
  sha256?: string;
  /** Symlinks only. */
  link?: string;
}

/** Entries by unit index and path relative to the unit's dir ("" is the dir itself). */
export interface Manifest {
  version: number;
  /** Changes with every ship that writes: this machine's copy is the volume's only when both say the same. */
  generation?: string;
  /** This machine's copy only: when each volume was created, as the engine said (a volume removed and made anew is not the one shipped into). */
  volumesCreatedAt?: Record<string, string>;
  units: { dir: string; volume: string; entries: Record<string, ManifestEntry> }[];
}

/** Who ships: volumes of two users, or two machines, sharing an engine never mix (nor their files). */
export interface Shipper {
  user: string;
  host: string;
}

const short = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** A user or host name as a volume name allows ([a-zA-Z0-9_.-]), short enough to read. */
const slug = (text: string): string => text.replace(/[^a-zA-Z0-9_.-]+/g, '_').slice(0, 24) || '_';

/**
 * One volume per directory: `werf-run-ship-<user>-<host>-<hash of user, host and path>`
 * (stable across runs; distinct between projects, users and machines; `docker
 * volume ls --filter name=werf-run-ship-` finds them all).
 */
export function shipVolumeName(dir: string, who: Shipper): string {
  return `werf-run-ship-${slug(who.user)}-${slug(who.host)}-${short(`${who.user}\0${who.host}\0${dir}`)}`;
}

/** The manifest's volume, named after the project's root. */
export function manifestVolumeName(root: string, who: Shipper): string {
  return `${shipVolumeName(root, who)}-manifest`;
}

/** The name of the helper container: only one can exist on an engine, so holding it is the lock on these volumes. */
export function shipLockName(manifestVolume: string): string {
  return `${manifestVolume}-lock`;
}

/** A path inside a unit: relative, "/"-separated, no empty, "." or ".." segment (the root itself is ""). */
export function isInsidePath(rel: string): boolean {
  // One regex (this runs for every shipped path): a leading "/", a backslash or NUL, an empty, "." or ".." segment.
  return rel === '' || !OUTSIDE.test(rel);
}
const OUTSIDE = /^\/|[\\\0]|\/\/|\/$|(^|\/)\.\.?(\/|$)/;

/**
 * What is wrong with a manifest read from a volume, or undefined: one
 * entry outside its unit would make the helper remove (or the next diff
 * trust) a path outside the shipped dirs.
 */
export function manifestProblem(manifest: Manifest): string | undefined {
  for (const unit of manifest.units) {
    if (typeof unit?.entries !== 'object' || unit.entries === null) return 'a unit without entries';
    for (const rel of Object.keys(unit.entries)) {
      if (!isInsidePath(rel)) return `the entry ${JSON.stringify(rel.slice(0, 200))} (an absolute path or one with "..")`;
    }
  }
  return undefined;
}

/**
 * Every path to ship from a listing (git's files, each relative to the
 * unit's dir): the listed paths and each of their parent dirs, the root ""
 * first. Paths outside the dir are dropped.
 */
export function withParents(paths: Iterable<string>): string[] {
  const all = new Set<string>(['']);
  for (const rel of paths) {
    if (rel === '' || !isInsidePath(rel)) continue;
    all.add(rel);
    // Up to the first parent already known: each dir is walked once.
    for (let at = rel.lastIndexOf('/'); at > 0; at = rel.lastIndexOf('/', at - 1)) {
      const parent = rel.slice(0, at);
      if (all.has(parent)) break;
      all.add(parent);
    }
  }
  return [...all].sort(byPath);
}

export interface ShipDiff {
  /** Relative paths to send, per unit, in order (parents before children). */
  send: string[][];
  /** Relative paths to remove, per unit. */
  remove: string[][];
}

/** The stat data says the file is the one shipped before (git's index test: size, mtime, inode, mode). */
export function sameStat(was: ManifestEntry | undefined, now: ManifestEntry): boolean {
  return (
    was !== undefined &&
    was.type === now.type &&
    was.size === now.size &&
    was.mtimeMs === now.mtimeMs &&
    was.mode === now.mode &&
    (was.ino === undefined || now.ino === undefined || was.ino === now.ino) &&
    was.link === now.link
  );
}

/**
 * Nothing changed at all: the same units, the same paths, each with the same
 * stat data (git's "clean" test). One pass, no sorting and no hashing: the
 * common case of a run where nothing was edited, decided before anything
 * else is looked at.
 */
export function sameTree(previous: Manifest | undefined, current: Manifest): boolean {
  if (!previous || previous.version !== MANIFEST_VERSION || previous.units.length !== current.units.length) return false;
  return current.units.every((unit, i) => {
    const before = previous.units[i];
    if (!before || before.dir !== unit.dir || before.volume !== unit.volume || typeof before.entries !== 'object' || !before.entries)
      return false;
    let count = 0;
    for (const rel in unit.entries) {
      if (!sameStat(before.entries[rel], unit.entries[rel]!)) return false;
      count++;
    }
    let countBefore = 0;
    for (const rel in before.entries) if (Object.hasOwn(before.entries, rel)) countBefore++;
    return count === countBefore;
  });
}

/** The previous unit for this dir and volume, when the manifest is of this version. */
export function previousUnit(previous: Manifest | undefined, unit: { dir: string; volume: string }): Record<string, ManifestEntry> {
  const before =
    previous?.version === MANIFEST_VERSION ? previous.units.find((u) => u.dir === unit.dir && u.volume === unit.volume) : undefined;
  return before?.entries ?? {};
}

/**
 * What to send: what is new, or whose type, size, mtime, inode, mode or link
 * changed (a file whose size is the same but whose stat data is not, and
 * whose sha256 `sameContent` says is unchanged, is not sent). What to remove:
 * what is gone (only the topmost of a gone subtree). A unit whose dir or
 * volume changed is sent whole.
 */
export function diffManifests(
  previous: Manifest | undefined,
  current: Manifest,
  sameContent: (unit: number, relPath: string, previousSha: string) => boolean = () => false,
): ShipDiff {
  const send: string[][] = [];
  const remove: string[][] = [];
  current.units.forEach((unit, index) => {
    const old = previousUnit(previous, unit);
    const toSend: string[] = [];
    for (const [rel, entry] of Object.entries(unit.entries)) {
      const was = old[rel];
      if (!was || was.type !== entry.type || was.mode !== entry.mode || was.link !== entry.link) {
        toSend.push(rel);
        continue;
      }
      if (entry.type !== 'file') continue;
      if (was.size !== entry.size) toSend.push(rel);
      else if (!sameStat(was, entry) && !(was.sha256 && sameContent(index, rel, was.sha256))) toSend.push(rel);
    }
    const gone = Object.keys(old).filter((rel) => !(rel in unit.entries));
    const goneSet = new Set(gone);
    const topmost = gone.filter((rel) => {
      for (let parent = parentOf(rel); parent !== undefined; parent = parentOf(parent)) if (goneSet.has(parent)) return false;
      return true;
    });
    send.push(toSend.sort(byPath));
    remove.push(topmost.sort(byPath));
  });
  return { send, remove };
}

function parentOf(rel: string): string | undefined {
  if (rel === '') return undefined;
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? '' : rel.slice(0, slash);
}

/** Parents before children: plain string order puts "a" before "a/b" (but "a.b" before "a/b", which is fine: no dependency). */
function byPath(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The manifest's JSON, parsed, or undefined when it is missing or not ours (another version, not JSON). */
export function parseManifest(text: string | undefined): Manifest | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Manifest;
    return value?.version === MANIFEST_VERSION && Array.isArray(value.units) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function newManifest(generation: string): Manifest {
  return { version: MANIFEST_VERSION, generation, units: [] };
}

/** The helper's script: removes the listed paths (NUL-separated, relative to /ship) and nothing else. */
export const SHIP_HELPER_SCRIPT =
  'cd /ship && if [ -s meta/remove.list ]; then xargs -0 rm -rf -- < meta/remove.list; fi; rm -f meta/remove.list';

export function describeBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** How shipping is going: a bar on a terminal, a plain line in CI (the reporter throttles those). */
export function shipProgressText(p: {
  sentBytes: number;
  totalBytes: number;
  sentFiles: number;
  totalFiles: number;
  elapsedMs: number;
}): string {
  const ratio = p.totalBytes > 0 ? Math.min(1, p.sentBytes / p.totalBytes) : 1;
  const width = 20;
  const filled = Math.round(ratio * width);
  const rate = p.elapsedMs > 0 ? `, ${describeBytes(Math.round((p.sentBytes * 1000) / p.elapsedMs))}/s` : '';
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(ratio * 100)}% ${describeBytes(p.sentBytes)} of ${describeBytes(p.totalBytes)}, ${p.sentFiles} of ${p.totalFiles} files${rate}`;
}

/** Where werf's container mounts the manifest volume while a pending ship rides in its archive (run/ship.ts PendingShip); werf never reads it. */
export const SHIP_META_TARGET = '/.werf-run-ship';
