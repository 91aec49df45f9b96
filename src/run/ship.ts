/**
 * Ships the checkout into named volumes on an engine whose host cannot see it
 * (plan/ship.ts decides names and the diff). One helper container in the werf
 * image, never started before its files are in: its manifest is read through
 * the archive API, only new and changed files are streamed in as one tar
 * (owned by the image user, with their modes and mtimes), and only when
 * something is gone it starts, to remove that. Nothing is written to this machine's disk.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import tar from 'tar-stream';
import type { ContainerSpec, Engine, UlimitSpec } from '../engine/port.js';
import { WerfRunError, errorMessage } from '../errors.js';
import { fileFromTar } from './tar.js';
import { SHIP_HELPER_SCRIPT, diffManifests, parseManifest, type Manifest, type ManifestEntry } from '../plan/ship.js';

interface ShipUnit {
  dir: string;
  volume: string;
}

export interface ShipInput {
  image: string;
  units: ShipUnit[];
  manifestVolume: string;
  owner: { uid: number; gid: number };
  labels: Record<string, string>;
  ulimits?: UlimitSpec[];
  /** The mode a shipped entry gets (plan/ship-mode.ts shippedMode: git's index on Windows); default its stat mode. */
  modeFor?(unit: number, rel: string, type: ManifestEntry['type'], statMode: number): number;
  /** Called while bytes flow: sent so far and the total to send. */
  onProgress?(sent: number, total: number): void;
}

export interface ShipResult {
  files: number;
  sentFiles: number;
  sentBytes: number;
  removed: number;
  /** Relative paths sent, per unit (for tests and --verbose). */
  sent: string[][];
}

/** Every directory, regular file and symlink under `dir` (sockets, fifos and devices are skipped). */
async function scanTree(dir: string, modeOf: (rel: string, type: ManifestEntry['type'], statMode: number) => number): Promise<Record<string, ManifestEntry>> {
  const entries: Record<string, ManifestEntry> = {};
  const walk = async (rel: string): Promise<void> => {
    const full = rel === '' ? dir : path.join(dir, rel);
    const s = await lstat(full);
    const mode = modeOf(rel, s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : 'file', s.mode);
    if (s.isDirectory()) {
      entries[rel] = { type: 'dir', size: 0, mtimeMs: Math.trunc(s.mtimeMs), mode };
      const names = await readdir(full);
      for (const name of names.sort()) await walk(rel === '' ? name : `${rel}/${name}`);
    } else if (s.isFile()) {
      entries[rel] = { type: 'file', size: s.size, mtimeMs: Math.trunc(s.mtimeMs), mode };
    } else if (s.isSymbolicLink()) {
      entries[rel] = { type: 'symlink', size: 0, mtimeMs: Math.trunc(s.mtimeMs), mode, link: await readlink(full) };
    }
  };
  await walk('');
  return entries;
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

function helperSpec(input: ShipInput): ContainerSpec {
  return {
    image: input.image,
    cmd: ['sh', '-c', SHIP_HELPER_SCRIPT],
    env: [],
    user: '0',
    labels: { ...input.labels, 'werf-run.role': 'ship' },
    tty: false,
    openStdin: false,
    mounts: [
      ...input.units.map((u, i) => ({ type: 'volume' as const, source: u.volume, target: `/ship/${i}`, readOnly: false })),
      { type: 'volume', source: input.manifestVolume, target: '/ship/meta', readOnly: false },
    ],
    securityOpt: [],
    devices: [],
    privileged: false,
    networkMode: 'none',
    ulimits: input.ulimits,
  };
}

export async function shipProject(engine: Engine, input: ShipInput): Promise<ShipResult> {
  const current: Manifest = { version: 1, units: [] };
  for (const [i, unit] of input.units.entries()) {
    const modeOf = (rel: string, type: ManifestEntry['type'], statMode: number) => input.modeFor?.(i, rel, type, statMode) ?? statMode & 0o7777;
    current.units.push({ ...unit, entries: await scanTree(unit.dir, modeOf) });
  }

  const id = await engine.createContainer(helperSpec(input));
  try {
    const previous = parseManifest(await fileFromTar(await engine.getArchive(id, '/ship/meta/manifest.json')));
    // Unchanged size and mtime: the previous hash still holds.
    current.units.forEach((unit) => {
      const before = previous?.units.find((u) => u.dir === unit.dir && u.volume === unit.volume)?.entries ?? {};
      for (const [rel, entry] of Object.entries(unit.entries)) {
        const was = before[rel];
        if (entry.type === 'file' && was?.type === 'file' && was.size === entry.size && was.mtimeMs === entry.mtimeMs) entry.sha256 = was.sha256;
      }
    });
    const mtimeOnly: Promise<void>[] = [];
    // Files whose mtime alone changed: hash them here, and skip them when the content is the same.
    const candidates: { unit: number; rel: string }[] = [];
    current.units.forEach((unit, index) => {
      const before = previous?.units.find((u) => u.dir === unit.dir && u.volume === unit.volume)?.entries ?? {};
      for (const [rel, entry] of Object.entries(unit.entries)) {
        const was = before[rel];
        if (entry.type !== 'file' || was?.type !== 'file' || was.size !== entry.size || was.mtimeMs === entry.mtimeMs || was.mode !== entry.mode || !was.sha256) continue;
        const wasSha = was.sha256;
        mtimeOnly.push(
          sha256File(path.join(unit.dir, rel)).then((sha) => {
            entry.sha256 = sha;
            if (sha === wasSha) candidates.push({ unit: index, rel });
          }),
        );
      }
    });
    await Promise.all(mtimeOnly);
    const same = new Set(candidates.map((c) => `${c.unit}\0${c.rel}`));
    const diff = diffManifests(previous, current, (unit, rel) => same.has(`${unit}\0${rel}`));

    const total = diff.send.reduce((sum, list, i) => sum + list.reduce((s, rel) => s + (current.units[i]!.entries[rel]!.type === 'file' ? current.units[i]!.entries[rel]!.size : 0), 0), 0);
    let sent = 0;
    const pack = tar.pack();
    const counted = new PassThrough();
    counted.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      input.onProgress?.(Math.min(sent, total), total);
    });
    pack.pipe(counted);
    const { uid, gid } = input.owner;
    const produce = (async () => {
      for (const [i, list] of diff.send.entries()) {
        const unit = current.units[i]!;
        for (const rel of list) {
          const entry = unit.entries[rel]!;
          const name = rel === '' ? `${i}/` : `${i}/${rel}`;
          const header = { name, mode: entry.mode, uid, gid, mtime: new Date(entry.mtimeMs) };
          if (entry.type === 'dir') {
            pack.entry({ ...header, type: 'directory' });
          } else if (entry.type === 'symlink') {
            pack.entry({ ...header, type: 'symlink', linkname: entry.link });
          } else {
            const hash = createHash('sha256');
            await new Promise<void>((resolve, reject) => {
              const sink = pack.entry({ ...header, type: 'file', size: entry.size }, (error) => (error ? reject(error) : resolve()));
              createReadStream(path.join(unit.dir, rel))
                .on('data', (chunk) => hash.update(chunk))
                .on('error', reject)
                .pipe(sink);
            });
            entry.sha256 = hash.digest('hex');
          }
        }
      }
      const removeList = diff.remove.flatMap((list, i) => list.map((rel) => `${i}/${rel}`));
      const meta = { mode: 0o600, uid: 0, gid: 0, mtime: new Date() };
      if (removeList.length > 0) pack.entry({ ...meta, name: 'meta/remove.list' }, Buffer.from(removeList.map((p) => `${p}\0`).join('')));
      pack.entry({ ...meta, name: 'meta/manifest.json' }, Buffer.from(JSON.stringify(current)));
      pack.finalize();
    })();
    produce.catch((error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))));
    await Promise.all([engine.putArchive(id, '/ship', counted), produce]);

    // Only deletions need the helper to run (the archive API cannot remove); most runs skip that start.
    const removed = diff.remove.reduce((n, list) => n + list.length, 0);
    if (removed > 0) {
      await engine.startContainer(id);
      const code = await engine.waitContainer(id);
      if (code !== 0) throw new WerfRunError(`removing the deleted files from the shipped project failed (the helper container exited with ${code})`);
    }
    return {
      files: current.units.reduce((n, u) => n + Object.values(u.entries).filter((e) => e.type !== 'dir').length, 0),
      sentFiles: diff.send.reduce((n, list, i) => n + list.filter((rel) => current.units[i]!.entries[rel]!.type !== 'dir').length, 0),
      sentBytes: total,
      removed,
      sent: diff.send,
    };
  } catch (error) {
    if (error instanceof WerfRunError) throw error;
    throw new WerfRunError(`shipping the project to the engine at ${engine.endpoint.url} failed: ${errorMessage(error)}`, {
      remedy: 'check the engine (docker info) and run again; to start afresh remove the volumes named werf-run-ship-* for this project',
      cause: error,
    });
  } finally {
    await engine.removeContainer(id).catch(() => undefined);
  }
}
