/**
 * The per-daemon cache: what the probe learned about a daemon's host and the
 * mode that last worked there, so a warm run starts the werf container with no
 * probe. One JSON file per daemon under $XDG_CACHE_HOME/werf-run (default
 * ~/.cache/werf-run). The key is more than the daemon ID: two engines on one
 * machine report the same ID (it comes from /etc/docker/key.json), so the
 * endpoint, the engine, its version, the kernel, the daemon's host name and
 * the DockerRootDir are in it. Podman's compatible /info answers a new random
 * ID on every call (4.3), so for Podman the ID is left out. The directory is
 * bounded: each write prunes entries not used for MAX_AGE and keeps the newest
 * MAX_ENTRIES.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Mode } from '../config/schema.js';
import type { EngineInfo } from '../engine/port.js';
import { errorMessage } from '../errors.js';
import type { FactKey, Findings } from './facts.js';

export interface DaemonKey {
  endpoint: string;
  /** Empty for Podman (its ID changes on every /info). */
  id: string;
  name: string;
  product: string;
  serverVersion: string;
  kernelVersion: string;
  dockerRootDir: string;
}

export interface CacheEntry {
  version: 1;
  key: DaemonKey;
  /** What the probe learned, and when, in which image. */
  probe?: {
    at: string;
    image: string;
    findings: Findings;
    /** Facts the probe could not learn there (no /dev/fuse in werf's native container, a tool the image lacks): not probed again on every run. */
    untested?: FactKey[];
  };
  /** The mode that last worked, per werf image and storage volume (see modeKey). */
  modes?: Record<string, { mode: Mode; at: string }>;
  /**
   * Projects this daemon's host was seen to have, readable by the image user,
   * by a hash of what was checked (path, git dirs, HEAD, file hashes, image,
   * user, translated sources): a warm run binds without the check container.
   */
  projects?: Record<string, { at: string }>;
}

export function daemonKey(endpointUrl: string, info: EngineInfo): DaemonKey {
  return {
    endpoint: endpointUrl,
    id: info.product === 'podman' ? '' : info.id,
    name: info.name,
    product: info.product,
    serverVersion: info.serverVersion,
    kernelVersion: info.kernelVersion,
    dockerRootDir: info.dockerRootDir,
  };
}

/**
 * Which mode works depends on the daemon's host, but also on the image (its
 * storage.conf may force fuse-overlayfs) and on the storage volume (buildah's
 * choice of a mount program sticks to it), so the remembered mode is keyed by both.
 */
export const modeKey = (image: string, storageVolume: string): string => `${image} on volume ${storageVolume}`;

/** $XDG_CACHE_HOME/werf-run, else ~/.cache/werf-run (pure). */
export function cacheDir(env: Readonly<Record<string, string | undefined>>, home: string): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home, '.cache');
  return path.join(base, 'werf-run');
}

/** Entries not written for this long are pruned (a daemon gone, or upgraded: its key changed). */
const MAX_AGE_MS = 30 * 24 * 3600 * 1000;
/** At most this many daemons are remembered. */
const MAX_ENTRIES = 20;

export interface CacheFile {
  name: string;
  mtimeMs: number;
}

/** Which files of the cache directory to delete (pure): old entries, all but the newest `maxEntries`, and leftovers of interrupted writes; never `keep`. */
export function filesToPrune(
  files: readonly CacheFile[],
  keep: string,
  nowMs: number,
  limits = { maxAgeMs: MAX_AGE_MS, maxEntries: MAX_ENTRIES },
): string[] {
  const isTmp = (f: CacheFile): boolean => f.name.endsWith('.tmp');
  // A .tmp file may be a parallel run's write in progress: only an hour-old one is a leftover.
  const stale = (f: CacheFile): boolean => nowMs - f.mtimeMs > (isTmp(f) ? 3600_000 : limits.maxAgeMs);
  const ours = files.filter((f) => f.name !== keep && /^daemon-[0-9a-f]+\.json(\.\d+\.tmp)?$/.test(f.name));
  const surplus = ours
    .filter((f) => !isTmp(f) && !stale(f))
    .sort((a, b) => b.mtimeMs - a.mtimeMs)
    .slice(Math.max(0, limits.maxEntries - 1));
  return [...ours.filter(stale), ...surplus].map((f) => f.name);
}

export class DaemonCache {
  readonly file: string;
  /** The directory is bounded once per run, not on every write. */
  private pruned = false;

  constructor(
    readonly dir: string,
    readonly key: DaemonKey,
  ) {
    const hash = createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16);
    this.file = path.join(dir, `daemon-${hash}.json`);
  }

  /** The entry for this daemon, or why there is none. */
  read(): { entry: CacheEntry } | { entry: undefined; why: string } {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return {
        entry: undefined,
        why: code === 'ENOENT' ? `no cache entry (${this.file})` : `unreadable cache ${this.file}: ${errorMessage(error)}`,
      };
    }
    const entry = raw as Partial<CacheEntry>;
    if (entry?.version !== 1 || JSON.stringify(entry.key) !== JSON.stringify(this.key)) {
      return { entry: undefined, why: `cache ${this.file} is for another daemon or format` };
    }
    return { entry: entry as CacheEntry };
  }

  /** Writes atomically; a cache that cannot be written is not an error (returns why). */
  write(entry: CacheEntry): string | undefined {
    try {
      mkdirSync(this.dir, { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(entry, null, 2)}\n`);
      renameSync(tmp, this.file);
      if (!this.pruned) this.prune();
      this.pruned = true;
      return undefined;
    } catch (error) {
      return `cannot write the cache ${this.file}: ${errorMessage(error)}`;
    }
  }

  /** Updates the entry in place (creating it); returns why it failed, if it did. */
  update(change: (entry: CacheEntry) => CacheEntry): string | undefined {
    const current = this.read().entry ?? { version: 1 as const, key: this.key };
    return this.write(change(current));
  }

  /** Bounds the directory (filesToPrune); a file that cannot be read or removed is left alone. */
  private prune(): void {
    const files: CacheFile[] = [];
    for (const name of readdirSync(this.dir)) {
      try {
        files.push({ name, mtimeMs: statSync(path.join(this.dir, name)).mtimeMs });
      } catch {
        // removed meanwhile by a parallel run
      }
    }
    for (const name of filesToPrune(files, path.basename(this.file), Date.now())) rmSync(path.join(this.dir, name), { force: true });
  }
}
