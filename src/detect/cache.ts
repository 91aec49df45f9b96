/**
 * The per-daemon cache: what the probe learned about a daemon's host and the
 * mode that last worked there, so a warm run starts the werf container with no
 * probe. One JSON file per daemon under $XDG_CACHE_HOME/werf-run (default
 * ~/.cache/werf-run). The key is more than the daemon ID: two engines on one
 * machine report the same ID (it comes from /etc/docker/key.json), so the
 * endpoint, the engine, its version, the kernel and the DockerRootDir are in it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Mode } from '../config/schema.js';
import type { EngineInfo } from '../engine/port.js';
import { errorMessage } from '../errors.js';
import type { Findings } from './facts.js';

export interface DaemonKey {
  endpoint: string;
  id: string;
  product: string;
  serverVersion: string;
  kernelVersion: string;
  dockerRootDir: string;
}

export interface CacheEntry {
  version: 1;
  key: DaemonKey;
  /** What the probe learned, and when, in which image. */
  probe?: { at: string; image: string; findings: Findings };
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
    id: info.id,
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

export class DaemonCache {
  readonly file: string;

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
      return { entry: undefined, why: code === 'ENOENT' ? `no cache entry (${this.file})` : `unreadable cache ${this.file}: ${errorMessage(error)}` };
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
}
