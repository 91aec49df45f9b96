/**
 * Ships the checkout into named volumes on an engine whose host cannot see it
 * (plan/ship.ts decides names, what is shipped and the diff). Only what git
 * would see goes (tracked files, untracked ones not ignored, `.git`), plus
 * what the user lists. One helper container in the werf image, named after
 * the volumes so that only one werf-run at a time ships into them (the name
 * is the lock), never started unless something is gone: the volume's
 * manifest generation is read through the archive API; when this machine's
 * copy of the manifest is of that generation, stat data alone (size, mtime,
 * inode, mode) says what changed, so an unchanged tree sends nothing. What
 * changed goes as one streamed tar, files read ahead and hashed while the
 * tar is sent. Nothing is written to this machine's disk but that copy.
 */
import { randomUUID, createHash } from 'node:crypto';
import {
  createReadStream,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import tar from 'tar-stream';
import { ContainerNameInUseError, type ContainerSpec, type Engine, type UlimitSpec } from '../engine/port.js';
import { UsageError, WerfRunError, errorMessage } from '../errors.js';
import { fileFromTar } from './tar.js';
import {
  SHIP_HELPER_SCRIPT,
  diffManifests,
  isInsidePath,
  manifestProblem,
  newManifest,
  parseManifest,
  previousUnit,
  sameStat,
  shipLockName,
  withParents,
  type Manifest,
  type ManifestEntry,
} from '../plan/ship.js';

interface ShipUnit {
  dir: string;
  volume: string;
  /** List the dir as git sees it (`git ls-files --cached --others --exclude-standard`, plus `.git`); else every file under it. */
  git?: boolean;
  /** Paths in the dir (relative) to ship besides git's list: files or whole dirs. */
  include?: readonly string[];
}

interface ShipProgress {
  sentBytes: number;
  totalBytes: number;
  sentFiles: number;
  totalFiles: number;
  elapsedMs: number;
}

export interface ShipInput {
  image: string;
  units: ShipUnit[];
  manifestVolume: string;
  owner: { uid: number; gid: number };
  labels: Record<string, string>;
  ulimits?: UlimitSpec[];
  /** The mode a shipped entry gets (plan/ship-mode.ts shippedMode: git's index on Windows); default its permission bits. */
  modeFor?(unit: number, rel: string, type: ManifestEntry['type'], statMode: number): number;
  /** This machine's copy of the manifest (per engine and volume); undefined keeps none (every run reads the volume's). */
  indexFile?: string;
  /** Called while bytes flow. */
  onProgress?(progress: ShipProgress): void;
  /** Called once when another werf-run holds the volumes and this one waits. */
  onWait?(lockName: string): void;
  /** How long to wait for another werf-run's ship (default 10 minutes). */
  waitMs?: number;
}

export interface ShipResult {
  files: number;
  sentFiles: number;
  sentBytes: number;
  removed: number;
  /** Relative paths sent, per unit (for tests and --verbose). */
  sent: string[][];
  /** Listed paths (ship.include) that are not there. */
  missing: string[];
  /** Where the previous state came from: this machine's copy (stat data), the volume's manifest, or none (first ship). */
  previousFrom: 'this machine' | 'the volume' | 'none';
}

/** Bytes read ahead of the tar: enough to keep the pipe full, bounded. */
const READ_AHEAD_BYTES = 32 * 1024 * 1024;
/** The volume's manifest read back: one JSON line per shipped path, ~200 bytes each; 256 MiB is a checkout of a million files. */
const MANIFEST_LIMIT_BYTES = 256 << 20;
const READ_AHEAD_FILES = 64;
/** Larger files are streamed at their turn rather than read whole. */
const WHOLE_FILE_MAX = 8 * 1024 * 1024;

/** An lstat, read dir or read that fails: one error naming the path, not a crash. */
function unreadable(full: string, error: unknown): WerfRunError {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new UsageError(
      `cannot read ${full} to ship it to the engine (${code}): werf-run ships what git would see in the checkout`,
      `make it readable for you (chmod u+r ${JSON.stringify(full)}), or, if werf does not need it, add it to .gitignore`,
      error,
    );
  }
  return new WerfRunError(`cannot read ${full} to ship it to the engine: ${errorMessage(error)}`, {
    remedy: 'if it changed while werf-run shipped it, run again',
    cause: error,
  });
}

function entryOf(full: string, s: Stats): ManifestEntry | undefined {
  const mode = s.mode & 0o7777;
  const base = { mtimeMs: s.mtimeMs, mode, ino: s.ino };
  if (s.isDirectory()) return { type: 'dir', size: 0, ...base };
  if (s.isFile()) return { type: 'file', size: s.size, ...base };
  if (s.isSymbolicLink()) {
    try {
      return { type: 'symlink', size: 0, ...base, link: readlinkSync(full) };
    } catch (error) {
      throw unreadable(full, error);
    }
  }
  // Sockets, fifos and devices are not shipped.
  return undefined;
}

function lstatOrUndefined(full: string): Stats | undefined {
  try {
    return lstatSync(full, { throwIfNoEntry: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw unreadable(full, error);
  }
}

/** Everything under `rel` (a dir) into `entries` (synchronous: a few syscalls each, faster than promises for thousands of files). */
function walk(dir: string, rel: string, entries: Record<string, ManifestEntry>): void {
  const full = rel === '' ? dir : path.join(dir, rel);
  let names: string[];
  try {
    names = readdirSync(full);
  } catch (error) {
    throw unreadable(full, error);
  }
  for (const name of names) {
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const childFull = path.join(dir, childRel);
    const s = lstatOrUndefined(childFull);
    const entry = s && entryOf(childFull, s);
    if (!entry) continue;
    entries[childRel] = entry;
    if (entry.type === 'dir') walk(dir, childRel, entries);
  }
}

/** git's view of the work tree: tracked files and untracked ones its ignore rules let through (NUL-separated, relative). */
async function gitListing(dir: string): Promise<string[]> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      // Trust exactly this checkout (its owner may be another uid, as in CI), not every repository.
      ['-c', `safe.directory=${dir}`, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
      { cwd: dir, encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new WerfRunError(`git ls-files in ${dir} failed: ${stderr.toString('utf8').trim() || errorMessage(error)}`, {
              remedy: 'check that git works in this checkout (git status)',
              cause: error,
            }),
          );
          return;
        }
        resolve(
          stdout
            .toString('utf8')
            .split('\0')
            .filter((p) => p !== ''),
        );
      },
    );
  });
}

/** What is shipped of one unit, with stat data. */
async function scanUnit(unit: ShipUnit, missing: string[]): Promise<Record<string, ManifestEntry>> {
  const entries: Record<string, ManifestEntry> = {};
  if (!unit.git) {
    const root = lstatOrUndefined(unit.dir);
    const entry = root && entryOf(unit.dir, root);
    if (entry) entries[''] = entry;
    walk(unit.dir, '', entries);
    return entries;
  }
  const listed = (await gitListing(unit.dir)).map((p) => p.replace(/\/+$/, ''));
  const wholeDirs: string[] = [];
  const add = (rel: string, whole: boolean): boolean => {
    if (!isInsidePath(rel)) return false;
    // git's paths are clean and "/"-separated: a join without path.join's normalising (it runs for every file).
    const full = `${unit.dir}/${rel}`;
    const s = lstatOrUndefined(full);
    const entry = s && entryOf(full, s);
    if (!entry) return false;
    entries[rel] = entry;
    // A dir in git's list is a submodule's checkout or an untracked repository: shipped whole, as is .git.
    if (entry.type === 'dir' && whole) wholeDirs.push(rel);
    return true;
  };
  for (const rel of listed) add(rel, true);
  add('.git', true);
  for (const rel of unit.include ?? []) {
    const clean = rel.replace(/\/+$/, '').replace(/^\.\//, '');
    if (!add(clean, true)) missing.push(path.join(unit.dir, clean));
  }
  for (const rel of wholeDirs) walk(unit.dir, rel, entries);
  // Each parent dir, with its own mode.
  for (const rel of withParents(Object.keys(entries))) {
    if (rel in entries) continue;
    const full = rel === '' ? unit.dir : `${unit.dir}/${rel}`;
    const s = lstatOrUndefined(full);
    const entry = s && entryOf(full, s);
    if (entry) entries[rel] = entry;
  }
  return entries;
}

function helperSpec(input: ShipInput): ContainerSpec {
  return {
    name: shipLockName(input.manifestVolume),
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates the helper under its fixed name; while another werf-run's helper has it, waits. */
async function acquireHelper(engine: Engine, input: ShipInput): Promise<{ id: string; waited: boolean }> {
  const spec = helperSpec(input);
  const waitMs = input.waitMs ?? 10 * 60_000;
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    try {
      return { id: await engine.createContainer(spec), waited: told };
    } catch (error) {
      if (!(error instanceof ContainerNameInUseError)) throw error;
      if (!told) input.onWait?.(spec.name!);
      told = true;
      if (Date.now() >= deadline) {
        throw new WerfRunError(
          `another werf-run has been shipping this project into volume ${input.units[0]?.volume} for ${Math.round(waitMs / 1000)} s (its container ${spec.name} still exists)`,
          {
            remedy: `if no other werf-run is running for this project, remove the leftover: docker rm -f ${spec.name}`,
          },
        );
      }
      await sleep(150);
    }
  }
}

/** This machine's copy of the manifest, or undefined (missing, unreadable, another version or unsafe: only costs speed). */
function readIndex(file: string | undefined): Manifest | undefined {
  if (!file) return undefined;
  try {
    const manifest = parseManifest(readFileSync(file, 'utf8'));
    return manifest && !manifestProblem(manifest) ? manifest : undefined;
  } catch {
    return undefined;
  }
}

function writeIndex(file: string | undefined, manifest: Manifest): void {
  if (!file) return;
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(manifest), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // Only the next run's speed depends on it.
  }
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', (error) => reject(unreadable(file, error)));
  });
}

/**
 * Reads files ahead of the tar, in order, with at most READ_AHEAD_BYTES and
 * READ_AHEAD_FILES in flight: the disk works while the tar is sent. A file
 * larger than WHOLE_FILE_MAX is left to be streamed at its turn; one that is
 * gone by then is 'gone'.
 */
function readAhead(files: readonly { full: string; size: number }[]): (index: number) => Promise<Buffer | 'stream' | 'gone'> {
  const reads: (Promise<Buffer | 'stream' | 'gone'> | undefined)[] = [];
  let next = 0;
  let inFlightBytes = 0;
  let inFlightFiles = 0;
  const fill = (): void => {
    while (next < files.length && inFlightFiles < READ_AHEAD_FILES && (inFlightBytes < READ_AHEAD_BYTES || inFlightFiles === 0)) {
      const file = files[next]!;
      if (file.size > WHOLE_FILE_MAX) {
        reads[next++] = Promise.resolve('stream');
        continue;
      }
      inFlightBytes += file.size;
      inFlightFiles++;
      const read = readFile(file.full).catch((error: unknown) => {
        // Gone since it was looked at (git's gc packs and removes loose objects, lock files come and go): not shipped.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone' as const;
        throw unreadable(file.full, error);
      });
      read.catch(() => undefined);
      reads[next++] = read;
    }
  };
  return async (index) => {
    fill();
    const read = reads[index]!;
    reads[index] = undefined;
    try {
      return await read;
    } finally {
      if (files[index]!.size <= WHOLE_FILE_MAX) {
        inFlightBytes -= files[index]!.size;
        inFlightFiles--;
      }
      fill();
    }
  };
}

/** Copies the previous hashes where the stat data is the same; hashes files of the same size whose stat data is not; the diff. */
async function compare(previous: Manifest | undefined, current: Manifest): Promise<ReturnType<typeof diffManifests>> {
  const rehash: Promise<void>[] = [];
  const same = new Set<string>();
  current.units.forEach((unit, index) => {
    const before = previousUnit(previous, unit);
    for (const [rel, entry] of Object.entries(unit.entries)) {
      const was = before[rel];
      if (entry.type !== 'file' || was?.type !== 'file') continue;
      if (sameStat(was, entry)) entry.sha256 = was.sha256;
      else if (was.size === entry.size && was.mode === entry.mode && was.sha256) {
        const wasSha = was.sha256;
        rehash.push(
          sha256File(path.join(unit.dir, rel)).then((sha) => {
            entry.sha256 = sha;
            if (sha === wasSha) same.add(`${index}\0${rel}`);
          }),
        );
      }
    }
  });
  await Promise.all(rehash);
  return diffManifests(previous, current, (unit, rel) => same.has(`${unit}\0${rel}`));
}

/** When each volume was created, by name (undefined: one is missing). */
async function volumesCreatedAt(engine: Engine, names: readonly string[]): Promise<Record<string, string> | undefined> {
  const created = await Promise.all(names.map(async (name) => [name, await engine.volumeCreatedAt(name)] as const));
  return created.every(([, at]) => at !== undefined) ? Object.fromEntries(created as (readonly [string, string])[]) : undefined;
}

/** The same volumes as when this machine's copy was written: none removed or made anew since (an engine that tells no creation time never matches). */
function sameVolumes(
  recorded: Record<string, string> | undefined,
  now: Record<string, string> | undefined,
  names: readonly string[],
): boolean {
  return Boolean(
    recorded && now && names.every((name) => recorded[name] !== undefined && recorded[name] !== '' && recorded[name] === now[name]),
  );
}

type Diff = ReturnType<typeof diffManifests>;
type ToSend = { unit: number; rel: string; entry: ManifestEntry; full: string };

export async function shipProject(engine: Engine, input: ShipInput): Promise<ShipResult> {
  const started = Date.now();
  const missing: string[] = [];
  const volumeNames = [...input.units.map((u) => u.volume), input.manifestVolume];
  // Asked while the tree is scanned.
  const volumesBefore = volumesCreatedAt(engine, volumeNames);
  volumesBefore.catch(() => undefined);
  let local = readIndex(input.indexFile);
  const current: Manifest = newManifest(randomUUID());
  for (const unit of input.units) current.units.push({ dir: unit.dir, volume: unit.volume, entries: await scanUnit(unit, missing) });
  const resultOf = resultMaker(current, missing);

  // Nothing changed since this machine's last ship into these very volumes: confirmed from stat data, no container, nothing written.
  const quick = await unchangedSinceLastShip(input, local, current, volumesBefore, volumeNames);
  if (quick) return resultOf(quick, 0, 0, 'this machine');

  const { id, waited } = await acquireHelper(engine, input);
  try {
    // The run we waited for wrote its copy of the manifest.
    if (waited) local = readIndex(input.indexFile);
    const { previous, previousFrom } = await previousManifest(engine, id, local, input.manifestVolume, volumeNames);
    const diff = await compare(previous, current);
    const removed = diff.remove.reduce((n, list) => n + list.length, 0);
    const toSend = diff.send.flatMap((list, i) =>
      list.map((rel) => ({ unit: i, rel, entry: current.units[i]!.entries[rel]!, full: path.join(current.units[i]!.dir, rel) })),
    );

    if (toSend.length === 0 && removed === 0 && previous) {
      // Nothing changed: the volume stays as it is; this machine's copy now says so (with today's stat data).
      writeIndex(input.indexFile, {
        ...current,
        generation: previous.generation,
        volumesCreatedAt: await volumesCreatedAt(engine, volumeNames),
      });
      return resultOf(diff, 0, 0, previousFrom);
    }

    const { sentFiles, sentBytes, vanished } = await sendArchive(engine, id, input, current, diff, toSend, started);
    // Only deletions need the helper to run (the archive API cannot remove); most runs skip that start.
    if (removed + vanished.length > 0) {
      await engine.startContainer(id);
      const code = await engine.waitContainer(id);
      if (code !== 0)
        throw new WerfRunError(`removing the deleted files from the shipped project failed (the helper container exited with ${code})`);
    }
    writeIndex(input.indexFile, { ...current, volumesCreatedAt: await volumesCreatedAt(engine, volumeNames) });
    const sent = diff.send.map((list, i) => list.filter((rel) => rel in current.units[i]!.entries));
    return {
      ...resultOf(
        { send: sent, remove: diff.remove },
        sentFiles + toSend.filter((s) => s.entry.type === 'symlink').length,
        sentBytes,
        previousFrom,
      ),
      removed: removed + vanished.length,
    };
  } catch (error) {
    if (error instanceof WerfRunError) throw error;
    throw new WerfRunError(`shipping the project to the engine at ${engine.endpoint.url} failed: ${errorMessage(error)}`, {
      remedy: `check the engine (docker info) and run again; to start afresh remove the volumes: docker volume rm ${volumeNames.join(' ')}`,
      cause: error,
    });
  } finally {
    await engine.removeContainer(id).catch(() => undefined);
  }
}

/** The ship's result from a diff and what was sent. */
function resultMaker(current: Manifest, missing: string[]) {
  const files = current.units.reduce((n, u) => n + Object.values(u.entries).filter((e) => e.type !== 'dir').length, 0);
  return (diff: Diff, sentFiles: number, sentBytes: number, previousFrom: ShipResult['previousFrom']): ShipResult => ({
    files,
    sentFiles,
    sentBytes,
    removed: diff.remove.reduce((n, list) => n + list.length, 0),
    sent: diff.send,
    missing,
    previousFrom,
  });
}

/** The diff when this machine's copy stands for these very volumes and nothing changed; else undefined. */
async function unchangedSinceLastShip(
  input: ShipInput,
  known: Manifest | undefined,
  current: Manifest,
  volumesNow: Promise<Record<string, string> | undefined>,
  volumeNames: readonly string[],
): Promise<Diff | undefined> {
  if (!known || !sameVolumes(known.volumesCreatedAt, await volumesNow.catch(() => undefined), volumeNames)) return undefined;
  const quick = await compare(known, current);
  if (!quick.send.every((l) => l.length === 0) || !quick.remove.every((l) => l.length === 0)) return undefined;
  // Files whose mtime alone changed: remember today's stat data, so they are not hashed again.
  if (current.units.some((u, i) => Object.entries(u.entries).some(([rel, e]) => !sameStat(known.units[i]?.entries[rel], e)))) {
    writeIndex(input.indexFile, { ...current, generation: known.generation, volumesCreatedAt: known.volumesCreatedAt });
  }
  return quick;
}

/** What the volumes hold: this machine's copy when it is of the volume's generation, else the volume's own manifest. */
async function previousManifest(
  engine: Engine,
  id: string,
  local: Manifest | undefined,
  manifestVolume: string,
  volumeNames: readonly string[],
): Promise<{ previous: Manifest | undefined; previousFrom: ShipResult['previousFrom'] }> {
  // The volume's generation: this machine's copy of the manifest stands for the volume only when it is of the same one.
  const generation = (await fileFromTar(await engine.getArchive(id, '/ship/meta/generation')))?.trim();
  if (generation && local?.generation === generation) return { previous: local, previousFrom: 'this machine' };
  const previous = parseManifest(await fileFromTar(await engine.getArchive(id, '/ship/meta/manifest.json', MANIFEST_LIMIT_BYTES)));
  const problem = previous && manifestProblem(previous);
  if (problem) {
    throw new WerfRunError(
      `the ship manifest in volume ${manifestVolume} is not werf-run's: it has ${problem}; nothing was shipped or removed`,
      {
        remedy: `remove the shipped volumes and run again (they are shipped afresh): docker volume rm ${volumeNames.join(' ')}`,
      },
    );
  }
  if (!previous) return { previous, previousFrom: 'none' };
  previous.generation = generation;
  return { previous, previousFrom: 'the volume' };
}

/** One tar into the helper: the changed entries, the list to remove, the manifest, and last the generation. */
async function sendArchive(
  engine: Engine,
  id: string,
  input: ShipInput,
  current: Manifest,
  diff: Diff,
  toSend: ToSend[],
  started: number,
): Promise<{ sentFiles: number; sentBytes: number; vanished: string[] }> {
  const sendFiles = toSend.filter((s) => s.entry.type === 'file');
  const totalBytes = sendFiles.reduce((sum, s) => sum + s.entry.size, 0);
  const sent = { sentFiles: 0, sentBytes: 0, vanished: [] as string[] };
  const progress = (): void =>
    input.onProgress?.({
      sentBytes: sent.sentBytes,
      totalBytes,
      sentFiles: sent.sentFiles,
      totalFiles: sendFiles.length,
      elapsedMs: Date.now() - started,
    });
  const pack = tar.pack();
  const body = new PassThrough();
  pack.pipe(body);
  const read = readAhead(sendFiles.map((s) => ({ full: s.full, size: s.entry.size })));
  const put = putter(pack);
  const produce = (async () => {
    let fileIndex = 0;
    for (const item of toSend) {
      const { unit, rel, entry } = item;
      const name = rel === '' ? `${unit}/` : `${unit}/${rel}`;
      // The tar mode: the permission bits, or what the caller decides (plan/ship-mode.ts: git's index on Windows).
      const header = {
        name,
        mode: input.modeFor?.(unit, rel, entry.type, entry.mode) ?? entry.mode & 0o7777,
        uid: input.owner.uid,
        gid: input.owner.gid,
        mtime: new Date(entry.mtimeMs),
      };
      if (entry.type === 'dir') await put({ ...header, type: 'directory' });
      else if (entry.type === 'symlink') await put({ ...header, type: 'symlink', linkname: entry.link });
      else if (await packFile(pack, put, await read(fileIndex++), item, header, current, sent.vanished)) {
        sent.sentBytes += entry.size;
        sent.sentFiles++;
        progress();
      }
    }
    await putMeta(put, current, [...diff.remove.flatMap((list, i) => list.map((rel) => `${i}/${rel}`)), ...sent.vanished]);
    pack.finalize();
  })();
  let failure: unknown;
  produce.catch((error: unknown) => {
    failure = error;
    body.destroy(error instanceof Error ? error : new Error(String(error)));
  });
  try {
    await Promise.all([engine.putArchive(id, '/ship', body), produce]);
  } catch (error) {
    throw failure ?? error;
  }
  return sent;
}

/** Adds one entry; resolves when tar-stream takes it (at once, or when the reader drains): the pipe's backpressure. */
function putter(pack: tar.Pack): (header: tar.Headers, content?: Buffer) => Promise<void> {
  return (header, content) => new Promise((resolve, reject) => pack.entry(header, content, (error) => (error ? reject(error) : resolve())));
}

/** One file into the tar, read whole or streamed; false when it vanished (then it leaves the manifest). */
async function packFile(
  pack: tar.Pack,
  put: (header: tar.Headers, content?: Buffer) => Promise<void>,
  content: Buffer | 'stream' | 'gone',
  { unit, rel, entry, full }: ToSend,
  header: tar.Headers,
  current: Manifest,
  vanished: string[],
): Promise<boolean> {
  if (content === 'gone') {
    // Not in the manifest, and removed from the volume should an older copy be there.
    delete current.units[unit]!.entries[rel];
    vanished.push(`${unit}/${rel}`);
    return false;
  }
  if (content === 'stream') {
    const hash = createHash('sha256');
    await new Promise<void>((resolve, reject) => {
      const sink = pack.entry({ ...header, type: 'file', size: entry.size }, (error) =>
        error
          ? reject(new WerfRunError(`${full} changed while it was shipped (${errorMessage(error)})`, { remedy: 'run again' }))
          : resolve(),
      );
      createReadStream(full)
        .on('data', (chunk) => hash.update(chunk))
        .on('error', (error) => reject(unreadable(full, error)))
        .pipe(sink);
    });
    entry.sha256 = hash.digest('hex');
    return true;
  }
  // A file that changed size since it was looked at goes as it is now (the next run sees its new mtime).
  entry.size = content.length;
  entry.sha256 = createHash('sha256').update(content).digest('hex');
  await put({ ...header, type: 'file', size: content.length }, content);
  return true;
}

/** The helper's instructions after the entries: what to remove, the manifest, and last the generation. */
async function putMeta(
  put: (header: tar.Headers, content?: Buffer) => Promise<void>,
  current: Manifest,
  removeList: string[],
): Promise<void> {
  const meta = { mode: 0o600, uid: 0, gid: 0, mtime: new Date() };
  if (removeList.length > 0) await put({ ...meta, name: 'meta/remove.list' }, Buffer.from(removeList.map((p) => `${p}\0`).join('')));
  await put({ ...meta, name: 'meta/manifest.json' }, Buffer.from(JSON.stringify(current)));
  // Last: a tar cut short leaves the old generation, so the next run does not trust a half-written volume's manifest copy.
  await put({ ...meta, name: 'meta/generation' }, Buffer.from(`${current.generation}\n`));
}
