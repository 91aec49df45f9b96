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
  closeSync,
  createReadStream,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ContainerNameInUseError, type ContainerSpec, type Engine, type UlimitSpec } from '../engine/port.js';
import { UsageError, WerfRunError, errorMessage } from '../errors.js';
import { fileFromTar } from './tar.js';
import { TarWriter, type TarHeader } from './tar-writer.js';
import {
  SHIP_HELPER_SCRIPT,
  diffManifests,
  isInsidePath,
  manifestProblem,
  newManifest,
  parseManifest,
  previousUnit,
  sameStat,
  sameTree,
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
  /** werf's container takes the changes in its own archive when it can (result.pending); else the helper ships them now. */
  withWerf?: boolean;
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
  /** Not shipped yet: it goes in with werf's container's files (ShipInput.withWerf); its done() gives the final result. */
  pending?: PendingShip;
}

/** The volume's manifest read back: one JSON line per shipped path, ~200 bytes each; 256 MiB is a checkout of a million files. */
const MANIFEST_LIMIT_BYTES = 256 << 20;
/** Larger files are streamed at their turn rather than read whole. */
const WHOLE_FILE_MAX = 8 * 1024 * 1024;
/** Paths looked at between two turns of the event loop while the tree is scanned. */
const SCAN_SLICE = 1000;
/** How often a ship tells its progress while it sends. */
const PROGRESS_MS = 100;
/** The tar goes to the engine in writes of this size (run/tar-writer.ts). */
const WRITE_BYTES = 1024 * 1024;

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
function gitListing(dir: string): Promise<string[]> {
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
  for (let i = 0; i < listed.length; i++) {
    add(listed[i]!, true);
    // The event loop's turn now and then: a first ship's archive opens on the engine meanwhile (openFirstArchive).
    if (i % SCAN_SLICE === SCAN_SLICE - 1) await new Promise<void>((resolve) => setImmediate(resolve));
  }
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
    // Checked (manifestProblem) where it decides what is sent or removed, not for the no-change test, which only reads it.
    return parseManifest(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function writeIndex(file: string | undefined, manifest: Manifest): void {
  if (file) writeIndexText(file, JSON.stringify(manifest));
}

/** The manifest's JSON as sent to the volume, with the volumes' creation times added (not stringified twice: 10,000 entries are 2 MB). */
function writeIndexJson(file: string | undefined, manifestJson: string, volumesCreatedAt: Record<string, string> | undefined): void {
  if (!file) return;
  writeIndexText(
    file,
    volumesCreatedAt ? `${manifestJson.slice(0, -1)},"volumesCreatedAt":${JSON.stringify(volumesCreatedAt)}}` : manifestJson,
  );
}

function writeIndexText(file: string, text: string): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode: 0o600 });
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
 * A file opened synchronously: the checkout is in the page cache on a second
 * run and small files dominate, so open, read and close on the main thread
 * cost less than the thread pool's hand-offs (the promise API's readFile
 * hands each of its four calls to a worker and back: 76,000 futex calls for
 * 10,000 files, under strace -c). 'gone' when it was removed since it was
 * looked at.
 */
function openOrGone(full: string): number | 'gone' {
  try {
    return openSync(full, 'r');
  } catch (error) {
    // Gone since it was looked at (git's gc packs and removes loose objects, lock files come and go): not shipped.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw unreadable(full, error);
  }
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
  return allCreated(names, await Promise.all(names.map((name) => engine.volumeCreatedAt(name))));
}

function allCreated(names: readonly string[], at: readonly (string | undefined)[]): Record<string, string> | undefined {
  return at.every((t) => t !== undefined) ? Object.fromEntries(names.map((name, i) => [name, at[i]!])) : undefined;
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
/** The entries to send, in the diff's order, with their paths here. */
function toSendOf(current: Manifest, diff: Diff): ToSend[] {
  return diff.send.flatMap((list, i) => {
    const unit = current.units[i]!;
    // The scan's paths are clean and "/"-separated (isInsidePath): joined as the scan joins them, without path.join's normalising.
    return list.map((rel) => ({ unit: i, rel, entry: unit.entries[rel]!, full: rel === '' ? unit.dir : `${unit.dir}/${rel}` }));
  });
}

type ResultOf = (diff: Diff, sentFiles: number, sentBytes: number, previousFrom: ShipResult['previousFrom']) => ShipResult;

/** What this machine's copy says before any container: nothing changed (the diff to report), or the copy to go on with. */
interface LocalVerdict {
  unchanged?: Diff;
  /** This machine's copy when it is safe (no path outside its unit). */
  local?: Manifest;
  /** The safe copy when it describes these very volumes, and the diff against it. */
  trusted?: Manifest;
  quick?: Diff;
}

export async function shipProject(engine: Engine, input: ShipInput): Promise<ShipResult> {
  const started = Date.now();
  const missing: string[] = [];
  const volumeNames = [...input.units.map((u) => u.volume), input.manifestVolume];
  // Asked while the tree is scanned.
  const eachBefore = Promise.all(volumeNames.map((name) => engine.volumeCreatedAt(name)));
  const volumesBefore = eachBefore.then((at) => allCreated(volumeNames, at));
  volumesBefore.catch(() => undefined);
  // Without this machine's copy (a first ship, a new cache dir) the helper is needed whatever the scan finds: made meanwhile.
  let early: Promise<{ id: string; waited: boolean }> | undefined;
  let opening: Promise<OpenArchive | undefined> | undefined;
  const scanned = await scanProject(input, missing, (local) => {
    if (local) return;
    early = acquireHelper(engine, input);
    early.catch(() => undefined);
    opening = openFirstArchive(engine, input, early, eachBefore);
    opening.catch(() => undefined);
  }).catch(async (error: unknown) => {
    if (opening) await opening.then((open) => open?.cancel(asError(error))).catch(() => undefined);
    if (early) await early.then(({ id }) => engine.removeContainer(id)).catch(() => undefined);
    throw error;
  });
  const { current, local } = scanned;
  const resultOf = resultMaker(current, missing);

  const verdict = await unchangedSinceLastShip(input, local, current, volumesBefore, volumeNames);
  if (verdict.unchanged) return resultOf(verdict.unchanged, 0, 0, 'this machine');

  const { id, waited } = await (early ?? acquireHelper(engine, input));
  // A manifest volume that did not exist before this ship's lock was taken holds nothing to read (the helper just made it);
  // a run that made it meanwhile held the lock, so this one waited and reads it.
  // Only an answer that the volume did not exist makes a first ship: an engine error reads the manifest back (else files deleted since would stay).
  const absent = await eachBefore.then(
    (at) => at[volumeNames.length - 1] === undefined,
    () => false,
  );
  const fresh = !waited && absent && !verdict.trusted;
  // Opened on the same facts as `fresh` (no copy here, so nothing trusted): the archive the first ship goes in.
  let open = await opening?.catch(() => undefined);
  if (open && !fresh) {
    await open.cancel(new Error('not a first ship'));
    open = undefined;
  }
  const { trusted, quick } = verdict;
  if (input.withWerf && trusted && quick && !waited && quick.remove.every((list) => list.length === 0)) {
    // Only additions and changes, against this machine's copy of these very volumes (they are not empty, so the engine
    // copies no image content into them when werf's container mounts them): they go into werf's own container, in the
    // archive of its files, before it starts. The helper stays created, unstarted, as the lock until then.
    // Until done(): sentFiles and sentBytes are what is to be sent (files and symlinks, as after the send).
    const toGo = quick.send.flatMap((list, i) => list.map((rel) => current.units[i]!.entries[rel]!)).filter((e) => e.type !== 'dir');
    const bytes = toGo.reduce((sum, e) => sum + (e.type === 'file' ? e.size : 0), 0);
    return {
      ...resultOf(quick, toGo.length, bytes, 'this machine'),
      pending: withWerf(engine, id, input, current, quick, volumeNames, resultOf, started),
    };
  }
  try {
    return await shipThroughHelper(engine, { id, waited, fresh, open }, input, verdict, current, volumeNames, resultOf, started);
  } catch (error) {
    throw shipFailed(error, engine, volumeNames);
  } finally {
    // Unused (a failure before the archive was written): the engine's request ends before the helper goes.
    await open?.cancel(new Error('the ship ended before its archive was written'));
    await engine.removeContainer(id).catch(() => undefined);
  }
}

/**
 * A first ship's archive (no copy of the manifest here, the volumes new),
 * opened as soon as the helper exists rather than after the scan: the engine
 * mounts the helper's volumes and starts its untar (~200 ms for any archive
 * call, more than the scan of 10,000 files) while git lists the files and
 * they are looked at. It starts with the first entry of every first ship,
 * the project's own dir, so that the request goes out; the rest is handed
 * over when the diff is known.
 */
interface OpenArchive {
  /** The entry written already: skipped when the rest is written. */
  readonly first: ToSend;
  /** Writes the rest; resolves when the engine has it all. */
  finish(write: (tar: TarWriter) => Promise<void>): Promise<void>;
  /** Ends it with nothing more (the engine refuses the tar cut short); resolves when the request is over. A no-op after finish. */
  cancel(why: Error): Promise<void>;
}

async function openFirstArchive(
  engine: Engine,
  input: ShipInput,
  helper: Promise<{ id: string; waited: boolean }>,
  eachBefore: Promise<(string | undefined)[]>,
): Promise<OpenArchive | undefined> {
  const [{ id, waited }, at] = await Promise.all([helper, eachBefore.catch(() => undefined)]);
  // shipProject's `fresh`: this run did not wait for another's, and the manifest volume did not exist before.
  if (waited || !at || at[at.length - 1] !== undefined) return undefined;
  const unit = input.units[0]!;
  const stat = lstatOrUndefined(unit.dir);
  const entry = stat && entryOf(unit.dir, stat);
  if (entry?.type !== 'dir') return undefined;
  const first: ToSend = { unit: 0, rel: '', entry, full: unit.dir };
  let handOver!: (write: (tar: TarWriter) => Promise<void>) => void;
  let refuse!: (why: Error) => void;
  const rest = new Promise<(tar: TarWriter) => Promise<void>>((resolve, reject) => {
    handOver = resolve;
    refuse = reject;
  });
  rest.catch(() => undefined);
  const done = streamTar(engine, id, '/ship', async (tar) => {
    await tar.entry({ ...headerOf(input, first, HELPER_NAMES), type: 'directory' });
    await tar.flush();
    const writeRest = await rest;
    await writeRest(tar);
  });
  done.catch(() => undefined);
  let used = false;
  return {
    first,
    finish(write) {
      used = true;
      handOver(write);
      return done;
    },
    async cancel(why) {
      if (used) return;
      used = true;
      refuse(why);
      await done.catch(() => undefined);
    },
  };
}

function shipFailed(error: unknown, engine: Engine, volumeNames: readonly string[]): WerfRunError {
  if (error instanceof WerfRunError) return error;
  return new WerfRunError(`shipping the project to the engine at ${engine.endpoint.url} failed: ${errorMessage(error)}`, {
    remedy: `check the engine (docker info) and run again; to start afresh remove the volumes: docker volume rm ${volumeNames.join(' ')}`,
    cause: error,
  });
}

/** After the archive went in: removals of files gone meanwhile (the lock container runs them), this machine's copy; the result. */
async function afterDelivery(
  engine: Engine,
  lockId: string,
  input: ShipInput,
  current: Manifest,
  diff: Diff,
  toSend: ToSend[],
  sent: Sent,
  volumeNames: readonly string[],
  resultOf: ResultOf,
): Promise<ShipResult> {
  try {
    // A file removed between the scan and its read left a stale copy should one be there: the lock container removes it.
    if (sent.vanished.length > 0) await runRemovals(engine, lockId);
    writeIndexJson(input.indexFile, sent.manifestJson, await volumesCreatedAt(engine, volumeNames));
  } catch (error) {
    throw shipFailed(error, engine, volumeNames);
  }
  const sentList = diff.send.map((list, i) => list.filter((rel) => rel in current.units[i]!.entries));
  return {
    ...resultOf(
      { send: sentList, remove: diff.remove },
      sent.sentFiles + toSend.filter((s) => s.entry.type === 'symlink').length,
      sent.sentBytes,
      'this machine',
    ),
    removed: sent.vanished.length,
  };
}

/**
 * A ship that rides in werf's container's archive (run/inject.ts): the engine
 * extracts a tar put into a created container into its volume mounts too (as
 * `docker cp` into a created container does), so the changed files need no
 * container of their own, and no second archive call (each one mounts the
 * container and runs the engine's untar: ~250 ms here).
 */
export interface PendingShip {
  /** The manifest volume: werf's container mounts it (at plan/ship.ts SHIP_META_TARGET) for the archive to write the manifest into. */
  readonly manifestVolume: string;
  /** True once an archive carried it: a later attempt's container finds the files in the volumes. */
  readonly delivered: boolean;
  /** Writes the changed entries and the manifest into `tar`, each volume's under `targetOf(volume)` (absolute, where it is mounted). */
  write(tar: TarWriter, targetOf: (volume: string) => string | undefined): Promise<void>;
  /** After the archive went in: removals of files gone meanwhile, this machine's copy, the lock released; the result. */
  done(): Promise<ShipResult>;
  /** The lock released (idempotent; without done(), this machine's copy stays as it was, so the next run sends these again). */
  release(): Promise<void>;
}

function withWerf(
  engine: Engine,
  lockId: string,
  input: ShipInput,
  current: Manifest,
  diff: Diff,
  volumeNames: readonly string[],
  resultOf: ResultOf,
  started: number,
): PendingShip {
  const toSend = toSendOf(current, diff);
  const sent: Sent = { sentFiles: 0, sentBytes: 0, vanished: [], manifestJson: '' };
  let written = false;
  let delivered = false;
  let released: Promise<void> | undefined;
  const release = (): Promise<void> => (released ??= engine.removeContainer(lockId).catch(() => undefined));
  return {
    manifestVolume: input.manifestVolume,
    get delivered() {
      return delivered;
    },
    async write(tar, targetOf) {
      if (written) throw new Error('a pending ship is written into one archive only');
      written = true;
      const where = (volume: string): string => {
        const target = targetOf(volume);
        if (!target) throw new Error(`werf's container does not mount volume ${volume}`);
        return target.replace(/^\/+/, '').replace(/\/+$/, '');
      };
      await packChanges(
        tar,
        input,
        current,
        diff,
        toSend,
        started,
        { unit: (i) => where(input.units[i]!.volume), meta: where(input.manifestVolume) },
        sent,
      );
    },
    async done() {
      if (!written) throw new Error('a pending ship is done only after it was written');
      delivered = true;
      try {
        return await afterDelivery(engine, lockId, input, current, diff, toSend, sent, volumeNames, resultOf);
      } finally {
        void release();
      }
    },
    release,
  };
}

/** The tree as it is now, and this machine's copy of the manifest. */
async function scanProject(
  input: ShipInput,
  missing: string[],
  onLocal: (local: Manifest | undefined) => void,
): Promise<{ current: Manifest; local: Manifest | undefined }> {
  // git runs while this machine's copy of the manifest is parsed.
  const scans = input.units.map((unit) => scanUnit(unit, missing));
  scans.forEach((scan) => scan.catch(() => undefined));
  const local = readIndex(input.indexFile);
  onLocal(local);
  const current: Manifest = newManifest(randomUUID());
  const scanned = await Promise.all(scans);
  input.units.forEach((unit, i) => current.units.push({ dir: unit.dir, volume: unit.volume, entries: scanned[i]! }));
  return { current, local };
}

/** The ship's result from a diff and what was sent. */
function resultMaker(current: Manifest, missing: string[]): ResultOf {
  const files = current.units.reduce((n, u) => n + Object.values(u.entries).filter((e) => e.type !== 'dir').length, 0);
  return (diff, sentFiles, sentBytes, previousFrom) => ({
    files,
    sentFiles,
    sentBytes,
    removed: diff.remove.reduce((n, list) => n + list.length, 0),
    sent: diff.send,
    missing,
    previousFrom,
  });
}

function isEmptyDiff(diff: Diff): boolean {
  return diff.send.every((l) => l.length === 0) && diff.remove.every((l) => l.length === 0);
}

/** Some entry's stat data differs from the copy's (files whose mtime alone changed). */
function statChanged(known: Manifest, current: Manifest): boolean {
  return current.units.some((u, i) => Object.entries(u.entries).some(([rel, e]) => !sameStat(known.units[i]?.entries[rel], e)));
}

/** Whether this machine's copy shows that nothing changed since its last ship into these very volumes; else what of it to go on with. */
async function unchangedSinceLastShip(
  input: ShipInput,
  known: Manifest | undefined,
  current: Manifest,
  volumesBefore: Promise<Record<string, string> | undefined>,
  volumeNames: readonly string[],
): Promise<LocalVerdict> {
  // This machine's copy describes these very volumes (none removed or made anew since it was written): it is what they hold.
  const createdBefore = await volumesBefore.catch(() => undefined);
  const same = known !== undefined && sameVolumes(known.volumesCreatedAt, createdBefore, volumeNames);
  // Nothing changed, not even stat data: one pass over the entries, nothing hashed, sorted or written, no container.
  if (same && sameTree(known, current)) return { unchanged: { send: current.units.map(() => []), remove: current.units.map(() => []) } };
  // This machine's copy decides what is sent or removed from here on: it must be safe (no path outside its unit).
  const local = known && manifestProblem(known) ? undefined : known;
  const trusted = same && local ? local : undefined;
  if (!trusted) return { local };
  const quick = await compare(trusted, current);
  if (isEmptyDiff(quick)) {
    // Nothing changed: confirmed from stat data, no container, nothing written.
    // Files whose mtime alone changed: remember today's stat data, so they are not hashed again.
    if (statChanged(trusted, current)) {
      writeIndex(input.indexFile, { ...current, generation: trusted.generation, volumesCreatedAt: trusted.volumesCreatedAt });
    }
    return { unchanged: quick };
  }
  return { local, trusted, quick };
}

/** With the helper held: what the volumes hold, the diff, the tar, the removals and this machine's new copy. */
async function shipThroughHelper(
  engine: Engine,
  helper: { id: string; waited: boolean; fresh: boolean; open?: OpenArchive },
  input: ShipInput,
  verdict: LocalVerdict,
  current: Manifest,
  volumeNames: readonly string[],
  resultOf: ResultOf,
  started: number,
): Promise<ShipResult> {
  const { id } = helper;
  const { previous, previousFrom, diff } = await baseline(engine, helper, input, verdict, current, volumeNames);
  // Asked again after the helper made or wrote the volumes: the local driver's CreatedAt is the mtime of the volume's _data
  // (seen on Docker 20.10: it moved when the tar replaced meta/manifest.json), so it must be read after each write.
  const createdAfter = (): Promise<Record<string, string> | undefined> => volumesCreatedAt(engine, volumeNames);

  const removed = diff.remove.reduce((n, list) => n + list.length, 0);
  const toSend = toSendOf(current, diff);

  if (toSend.length === 0 && removed === 0 && previous) {
    // Nothing changed: the volume stays as it is; this machine's copy now says so (with today's stat data).
    writeIndex(input.indexFile, { ...current, generation: previous.generation, volumesCreatedAt: await createdAfter() });
    return resultOf(diff, 0, 0, previousFrom);
  }

  const { sentFiles, sentBytes, vanished, manifestJson } = await sendArchive(
    engine,
    id,
    input,
    current,
    diff,
    toSend,
    started,
    helper.open,
  );
  // Only deletions need the helper to run (the archive API cannot remove); most runs skip that start.
  if (removed + vanished.length > 0) await runRemovals(engine, id);
  writeIndexJson(input.indexFile, manifestJson, await createdAfter());
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
}

/** What the volumes hold and the diff against it: this machine's trusted copy when no other werf-run shipped meanwhile, else read. */
async function baseline(
  engine: Engine,
  { id, waited, fresh }: { id: string; waited: boolean; fresh: boolean },
  input: ShipInput,
  { local: safeLocal, trusted, quick }: LocalVerdict,
  current: Manifest,
  volumeNames: readonly string[],
): Promise<{ previous: Manifest | undefined; previousFrom: ShipResult['previousFrom']; diff: Diff }> {
  // A manifest volume made by this ship's helper: nothing to read back (two archive calls saved on a first ship).
  if (fresh) return { previous: undefined, previousFrom: 'none', diff: await compare(undefined, current) };
  if (trusted && quick && !waited) {
    // No other werf-run shipped meanwhile (this one did not wait for the lock): the diff against this machine's copy stands,
    // and the volume's generation need not be read (one archive call, a mount of the volumes on the engine, saved).
    return { previous: trusted, previousFrom: 'this machine', diff: quick };
  }
  // The run we waited for wrote its copy of the manifest.
  let local = waited ? readIndex(input.indexFile) : safeLocal;
  if (local && manifestProblem(local)) local = undefined;
  const { previous, previousFrom } = await previousManifest(engine, id, local, input.manifestVolume, volumeNames);
  return { previous, previousFrom, diff: await compare(previous, current) };
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

/** The helper removes what the tar's remove list names. */
async function runRemovals(engine: Engine, id: string): Promise<void> {
  await engine.startContainer(id);
  const code = await engine.waitContainer(id);
  if (code !== 0)
    throw new WerfRunError(`removing the deleted files from the shipped project failed (the helper container exited with ${code})`);
}

/** What a writer waiting for room gets when the body was destroyed (the engine gave up): it stops; the engine's error is the one told. */
const STOPPED = new Error('the engine stopped reading the archive');

/** The tar, written into 1 MiB buffers; a full one waits while the engine's socket has 4 MiB it has not taken (backpressure). */
function tarBody(): { body: Readable; tar: TarWriter } {
  let wake: (() => void) | undefined;
  let stop: ((error: Error) => void) | undefined;
  const body = new Readable({
    highWaterMark: 4 * WRITE_BYTES,
    read() {
      const resume = wake;
      wake = stop = undefined;
      resume?.();
    },
  });
  // Destroyed: no read will come, so a writer waiting for one stops (it would wait for ever, its file open).
  body.on('close', () => {
    const end = stop;
    wake = stop = undefined;
    end?.(STOPPED);
  });
  const tar = new TarWriter((chunk) => {
    if (body.destroyed) throw STOPPED;
    return body.push(chunk)
      ? undefined
      : new Promise<void>((resolve, reject) => {
          wake = resolve;
          stop = reject;
        });
  }, WRITE_BYTES);
  return { body, tar };
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/**
 * One tar, written by `write` while the engine extracts it at `containerPath`
 * (werf's archive and the helper's). The writer's error wins (it says which
 * file); when the engine gives up first, the writer is stopped (its files
 * closed) instead of waiting on a body nobody reads; when the writer fails
 * first, the engine's request is ended. Either way both are over when it
 * returns.
 */
export async function streamTar(
  engine: Pick<Engine, 'putArchive'>,
  id: string,
  containerPath: string,
  write: (tar: TarWriter) => Promise<void>,
): Promise<void> {
  const { body, tar } = tarBody();
  const produce = (async () => {
    await write(tar);
    await tar.end();
    body.push(null);
  })();
  let failure: unknown;
  produce.catch((error: unknown) => {
    if (error !== STOPPED) failure = error;
    body.destroy(asError(error));
  });
  const put = engine.putArchive(id, containerPath, body);
  try {
    await Promise.all([put, produce]);
  } catch (error) {
    if (!body.destroyed) body.destroy(asError(error));
    // Both over (the request ended, the files closed) before the caller goes on to remove the container.
    await Promise.allSettled([put, produce]);
    throw failure ?? error;
  }
}

interface Sent {
  sentFiles: number;
  sentBytes: number;
  vanished: string[];
  manifestJson: string;
}

/** Where each volume's entries go in the tar: unit i's and the manifest volume's, as "a/b" with no leading or trailing slash. */
interface TarNames {
  unit(index: number): string;
  meta: string;
}

/** In the helper, the archive goes to /ship: units at /ship/<i>, the manifest volume at /ship/meta. */
const HELPER_NAMES: TarNames = { unit: (i) => String(i), meta: 'meta' };

/** One tar into the helper: the changed entries, the list to remove, the manifest, and last the generation. */
async function sendArchive(
  engine: Engine,
  id: string,
  input: ShipInput,
  current: Manifest,
  diff: Diff,
  toSend: ToSend[],
  started: number,
  open: OpenArchive | undefined,
): Promise<Sent> {
  const sent: Sent = { sentFiles: 0, sentBytes: 0, vanished: [], manifestJson: '' };
  if (open) {
    const { first } = open;
    const rest = toSend.filter((item) => item.unit !== first.unit || item.rel !== first.rel);
    await open.finish((tar) => packChanges(tar, input, current, diff, rest, started, HELPER_NAMES, sent));
  } else await streamTar(engine, id, '/ship', (tar) => packChanges(tar, input, current, diff, toSend, started, HELPER_NAMES, sent));
  return sent;
}

/** The changed entries, the list to remove (helper only), the manifest and last the generation, into `tar` under `names`. */
async function packChanges(
  tar: TarWriter,
  input: ShipInput,
  current: Manifest,
  diff: Diff,
  toSend: ToSend[],
  started: number,
  names: TarNames,
  sent: Sent,
): Promise<void> {
  const sendFiles = toSend.filter((s) => s.entry.type === 'file');
  const totalBytes = sendFiles.reduce((sum, s) => sum + s.entry.size, 0);
  const progress = (): void =>
    input.onProgress?.({
      sentBytes: sent.sentBytes,
      totalBytes,
      sentFiles: sent.sentFiles,
      totalFiles: sendFiles.length,
      elapsedMs: Date.now() - started,
    });
  // Told every 100 ms and at the end, not per file: a status line formatted for each of 10,000 small files cost more than their headers.
  let toldAt = 0;
  for (const item of toSend) {
    if (await packEntry(tar, input, item, current, sent.vanished, names)) {
      sent.sentBytes += item.entry.size;
      sent.sentFiles++;
      const now = Date.now();
      if (now - toldAt >= PROGRESS_MS) {
        toldAt = now;
        progress();
      }
    }
  }
  if (sent.sentFiles > 0) progress();
  const removeList = [...diff.remove.flatMap((list, i) => list.map((rel) => `${i}/${rel}`)), ...sent.vanished];
  sent.manifestJson = await putMeta(tar, current, removeList, names.meta);
}

/** An entry's tar header but its type (and size). */
function headerOf(input: ShipInput, { unit, rel, entry }: ToSend, names: TarNames): Omit<TarHeader, 'type'> {
  return {
    name: rel === '' ? `${names.unit(unit)}/` : `${names.unit(unit)}/${rel}`,
    // The tar mode: the permission bits, or what the caller decides (plan/ship-mode.ts: git's index on Windows).
    mode: input.modeFor?.(unit, rel, entry.type, entry.mode) ?? entry.mode & 0o7777,
    uid: input.owner.uid,
    gid: input.owner.gid,
    mtime: Math.floor(entry.mtimeMs / 1000),
  };
}

/** One entry into the tar; true when it was a file sent, false for a dir, a symlink or a file that vanished (it leaves the manifest). */
async function packEntry(
  tar: TarWriter,
  input: ShipInput,
  item: ToSend,
  current: Manifest,
  vanished: string[],
  names: TarNames,
): Promise<boolean> {
  const { unit, rel, entry, full } = item;
  const header = headerOf(input, item, names);
  if (entry.type === 'dir') {
    await tar.entry({ ...header, type: 'directory' });
    return false;
  }
  if (entry.type === 'symlink') {
    await tar.entry({ ...header, type: 'symlink', linkname: entry.link });
    return false;
  }
  const hash = createHash('sha256');
  if (entry.size > WHOLE_FILE_MAX) {
    // Read straight into the tar's buffers, a megabyte at a time.
    await tar
      .fileFrom(
        { ...header, type: 'file', size: entry.size },
        full,
        hash,
        (why) => new WerfRunError(`${full} changed while it was shipped (${why})`, { remedy: 'run again' }),
      )
      .catch((error: unknown) => {
        throw error instanceof WerfRunError ? error : unreadable(full, error);
      });
  } else {
    const fd = openOrGone(full);
    if (fd === 'gone') {
      // Not in the manifest, and removed from the volume should an older copy be there.
      delete current.units[unit]!.entries[rel];
      vanished.push(`${unit}/${rel}`);
      return false;
    }
    try {
      // A file that changed size since it was looked at goes as it is now (the next run sees its new mtime).
      entry.size = await tar.fileFromFd(
        { ...header, type: 'file' },
        fd,
        hash,
        (why) => new WerfRunError(`${full} changed while it was shipped (${why})`, { remedy: 'run again' }),
        entry.size,
      );
    } catch (error) {
      throw error instanceof WerfRunError ? error : unreadable(full, error);
    } finally {
      closeSync(fd);
    }
  }
  entry.sha256 = hash.digest('hex');
  return true;
}

/** The helper's instructions after the entries: what to remove, the manifest, and last the generation; returns the manifest's JSON. */
async function putMeta(tar: TarWriter, current: Manifest, removeList: string[], dir: string): Promise<string> {
  const meta = { mode: 0o600, uid: 0, gid: 0, mtime: Math.floor(Date.now() / 1000), type: 'file' as const };
  if (removeList.length > 0) await tar.file({ ...meta, name: `${dir}/remove.list` }, Buffer.from(removeList.map((p) => `${p}\0`).join('')));
  const manifestJson = JSON.stringify(current);
  await tar.file({ ...meta, name: `${dir}/manifest.json` }, Buffer.from(manifestJson));
  // Last: a tar cut short leaves the old generation, so the next run does not trust a half-written volume's manifest copy.
  await tar.file({ ...meta, name: `${dir}/generation` }, Buffer.from(`${current.generation}\n`));
  return manifestJson;
}
