/**
 * Shipping the checkout to an engine whose host cannot see it: each directory
 * werf needs (the project root, git dirs beyond it) goes into its own named
 * volume, mounted at the same path in the werf container. A manifest (path,
 * type, size, mtime, mode, sha256) kept in a small volume beside them lets
 * the next run send only what changed. Pure: names, the manifest and the diff.
 */
import { createHash } from 'node:crypto';

export const MANIFEST_VERSION = 1;

export interface ManifestEntry {
  type: 'file' | 'dir' | 'symlink';
  size: number;
  mtimeMs: number;
  mode: number;
  /** Files only. */
  sha256?: string;
  /** Symlinks only. */
  link?: string;
}

/** Entries by unit index and path relative to the unit's dir ("" is the dir itself). */
export interface Manifest {
  version: number;
  units: { dir: string; volume: string; entries: Record<string, ManifestEntry> }[];
}

const short = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** One volume per directory, named after its path (stable across runs, distinct between projects). */
export function shipVolumeName(dir: string): string {
  return `werf-run-ship-${short(dir)}`;
}

/** The manifest's volume, named after the project's root. */
export function manifestVolumeName(root: string): string {
  return `werf-run-ship-${short(root)}-manifest`;
}

export interface ShipDiff {
  /** Relative paths to send, per unit, in order (parents before children). */
  send: string[][];
  /** Relative paths to remove, per unit. */
  remove: string[][];
}

/**
 * What to send: what is new, or whose type, size, mtime, mode or link
 * changed (a file with only another mtime but the same sha256 as before, when
 * `sameContent` says so, is not sent). What to remove: what is gone (only the
 * topmost of a gone subtree). A unit whose dir or volume changed is sent whole.
 */
export function diffManifests(
  previous: Manifest | undefined,
  current: Manifest,
  sameContent: (unit: number, relPath: string, previousSha: string) => boolean = () => false,
): ShipDiff {
  const send: string[][] = [];
  const remove: string[][] = [];
  current.units.forEach((unit, index) => {
    const before = previous?.version === MANIFEST_VERSION ? previous.units.find((u) => u.dir === unit.dir && u.volume === unit.volume) : undefined;
    const old = before?.entries ?? {};
    const toSend: string[] = [];
    for (const [rel, entry] of Object.entries(unit.entries)) {
      const was = old[rel];
      if (!was || was.type !== entry.type || was.mode !== entry.mode || was.link !== entry.link) {
        toSend.push(rel);
        continue;
      }
      if (entry.type !== 'file') continue;
      if (was.size !== entry.size) toSend.push(rel);
      else if (was.mtimeMs !== entry.mtimeMs && !(was.sha256 && sameContent(index, rel, was.sha256))) toSend.push(rel);
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

/** The manifest's JSON, parsed, or undefined when it is missing or not ours. */
export function parseManifest(text: string | undefined): Manifest | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Manifest;
    return value?.version === MANIFEST_VERSION && Array.isArray(value.units) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The helper's script: removes the listed paths (NUL-separated, relative to /ship) and nothing else. */
export const SHIP_HELPER_SCRIPT = 'cd /ship && if [ -s meta/remove.list ]; then xargs -0 rm -rf -- < meta/remove.list; fi; rm -f meta/remove.list';

export function describeBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
