/**
 * Packs the plan's files into one tar and uploads it into the created werf
 * container before it starts (Engine.putArchive, extracted at `/`). The tar
 * lives in memory only: nothing is written to the host's disk.
 */
import type { Engine, MountSpec } from '../engine/port.js';
import type { PendingShip, ShipResult } from './ship.js';
import { commonJs } from '../interop.js';
import { archiveEntries, filesToCopy, isRegularFile, ownedBy, type InjectedFile } from '../plan/files.js';
import { missingIdMessage, resolveUserIds } from '../plan/user-ids.js';
import { addedUserDirs, addedUserFiles, type AddedUser } from '../plan/checkout-owner.js';
import type { ArchiveEntry } from '../plan/files.js';

async function packFiles(files: readonly InjectedFile[], existing: readonly string[], dirs: readonly ArchiveEntry[] = []): Promise<Buffer> {
  // Loaded only when there are files to hand in.
  const pack = commonJs(await import('tar-stream'), 'pack').pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('data', (chunk: Buffer) => chunks.push(chunk));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  const mtime = new Date();
  for (const entry of [...dirs, ...archiveEntries(files, existing)]) {
    const header = { name: entry.name, mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime, type: entry.type };
    if (entry.type === 'file') pack.entry({ ...header, size: entry.content.length }, entry.content);
    else pack.entry(header);
  }
  pack.finalize();
  return done;
}

/**
 * Files the plan left without owner belong to the container's user, which
 * the image contract does not know by uid: its ids come from the image's
 * /etc/passwd and /etc/group, read from the created container. (The
 * archive API's copyUIDGID would look the name up on the daemon's host, not
 * in the image: moby daemon/archive_tarcopyoptions_unix.go.)
 */
async function withOwners(
  engine: Pick<Engine, 'getArchive'>,
  id: string,
  files: readonly InjectedFile[],
  user: string | undefined,
): Promise<readonly InjectedFile[]> {
  if (files.every((f) => f.uid !== undefined)) return files;
  // plan() always names a User; without one the image's own USER would apply, which only the image knows.
  if (user === undefined) throw new Error('files without an owner need the container to name its user');
  const { fileFromTar } = await import('./tar.js'); // tar-stream: loaded only when needed
  const read = async (file: string): Promise<string> => (await fileFromTar(await engine.getArchive(id, file))) ?? '';
  const [passwd, group] = await Promise.all([read('/etc/passwd'), read('/etc/group')]);
  const ids = resolveUserIds(user, passwd, group);
  if ('missing' in ids) throw new Error(missingIdMessage(ids));
  return ownedBy(files, ids);
}

/** A ship that rides in this archive (run/ship.ts PendingShip), the container's mounts (where each volume is), and who hears the result. */
export interface ShipRider {
  pending: PendingShip;
  mounts: readonly MountSpec[];
  onShipped?(result: ShipResult): void;
}

/**
 * Uploads the files into container `id`, owned by `user` where they name no owner; `existing` are directories the archive must not touch (the image user's home, /tmp).
 * A pending ship not yet delivered goes first in the same archive (werf's own files after it win, as when the project was shipped before).
 */
export async function injectFiles(
  engine: Pick<Engine, 'putArchive' | 'getArchive' | 'statPath'>,
  id: string,
  files: readonly InjectedFile[],
  existing: readonly string[],
  user: string | undefined,
  addUser?: AddedUser,
  ship?: ShipRider,
): Promise<void> {
  const rider = ship && !ship.pending.delivered ? ship : undefined;
  if (files.length === 0 && !addUser && !rider) return;
  const needed = await withoutHeldFiles(engine, id, files);
  if (needed.length === 0 && !addUser && !rider) return;
  const added = addUser ? await addedUser(engine, id, addUser) : undefined;
  // The added user's files come first: withOwners reads /etc/passwd, which then has the user.
  const all = [...(added?.files ?? []), ...needed];
  const owned = await withOwners(engine, id, all, user);
  if (!rider) {
    await engine.putArchive(id, '/', await packFiles(owned, existing, added?.dirs));
    return;
  }
  await putWithShip(engine, id, [...(added?.dirs ?? []), ...archiveEntries(owned, existing)], rider);
  const result = await rider.pending.done();
  rider.onShipped?.(result);
}

/** One streamed tar: the ship's entries, then werf's files (run/tar-writer.ts: the ship's writer, not tar-stream's per-entry streams). */
async function putWithShip(
  engine: Pick<Engine, 'putArchive'>,
  id: string,
  entries: readonly ArchiveEntry[],
  rider: ShipRider,
): Promise<void> {
  const { streamTar } = await import('./ship.js');
  const targetOf = (volume: string): string | undefined => rider.mounts.find((m) => m.type === 'volume' && m.source === volume)?.target;
  const mtime = Math.floor(Date.now() / 1000);
  await streamTar(engine, id, '/', async (tar) => {
    await rider.pending.write(tar, targetOf);
    for (const entry of entries) {
      const header = { name: entry.name, mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime };
      if (entry.type === 'file') await tar.file({ ...header, type: 'file' }, entry.content);
      else await tar.entry({ ...header, type: 'directory' });
    }
  });
}

/** The files less the kept ones the container's volumes hold already (plan/files.ts filesToCopy), from the paths' stat. */
async function withoutHeldFiles(
  engine: Pick<Engine, 'statPath'>,
  id: string,
  files: readonly InjectedFile[],
): Promise<readonly InjectedFile[]> {
  const kept = files.filter((f) => f.kept);
  if (kept.length === 0) return files;
  const held = new Map<string, number | undefined>();
  await Promise.all(
    kept.map(async (f) => {
      // Not answered: copied, as before there was a check.
      const stat = await engine.statPath(id, f.path).catch(() => undefined);
      held.set(f.path, stat && isRegularFile(stat.mode) ? stat.size : undefined);
    }),
  );
  return filesToCopy(files, held);
}

/** The image's passwd, group, subuid and subgid with the user's lines, and its home (plan/checkout-owner.ts decides both). */
async function addedUser(
  engine: Pick<Engine, 'getArchive'>,
  id: string,
  user: AddedUser,
): Promise<{ files: InjectedFile[]; dirs: ArchiveEntry[] }> {
  const { fileFromTar } = await import('./tar.js');
  const read = async (file: string): Promise<string> => (await fileFromTar(await engine.getArchive(id, file))) ?? '';
  const [passwd, group, subuid, subgid] = await Promise.all(['/etc/passwd', '/etc/group', '/etc/subuid', '/etc/subgid'].map(read));
  return { files: addedUserFiles(user, { passwd: passwd!, group: group!, subuid: subuid!, subgid: subgid! }), dirs: addedUserDirs(user) };
}
