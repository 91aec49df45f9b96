/**
 * Starts the CLI bundle (dist/bundle/cli.cjs) with its compiled code kept
 * between runs, so a warm run does not parse and compile werf-run again.
 *
 * Node >= 22.1 does this itself (module.enableCompileCache). Node 20 has no
 * such switch, so here a CommonJS bundle is compiled through vm.Script with
 * V8's code cache, the way Node's own compile cache and the v8-compile-cache
 * package do it. That package is not used: it hooks every require() of the
 * process and is no longer maintained; this is one file and one script.
 *
 * The cache is only ever a speed-up: any failure to read or write it runs the
 * bundle without it. NODE_DISABLE_COMPILE_CACHE=1 turns it off (as Node's).
 * Files: os.tmpdir()/werf-run-code-<uid>/ (as Node's node-compile-cache),
 * a directory of this user's that nobody else may write; one file per bundle
 * build and Node version, older builds' files removed when a new one is written.
 *
 * A cache holds what the run that wrote it compiled. When that was a small
 * run (`--help`, `--dry-run`: often an install's first), every later run
 * compiled the rest again, every time (a warm werf run after a `--dry-run`
 * one: 4% more instructions; after a `--help` one: 18%). So a run with other
 * arguments than the writer's writes the cache again, at most REWRITES
 * times; the new cache holds the old one's functions too. Whether a run
 * compiled more is not asked of V8: its heap code statistics walk the heap
 * (3% of a warm run), and serialising costs a third of one.
 */
import { lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import module, { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

interface Cli {
  runProcess(): Promise<void>;
}

/** The first line of cli.cjs, written by scripts/build.js: the sha256 of the rest. */
/** How many builds' code caches stay (this one included). */
const KEPT_BUILDS = 4;
const BUILD_LINE = /^\/\/ werf-run build ([0-9a-f]{64})\n/;
/**
 * A cache file is this header, then V8's data: how many times the cache was
 * written again (uint32) and the writer's arguments' fingerprint (uint32).
 * 8 bytes, so that V8's data stays aligned (else V8 copies it).
 */
const HEADER_BYTES = 8;
/** How many runs with other arguments write a cache again. */
const REWRITES = 2;

/** import() as Node does it, for the CLI's bundle (src/config/native-import.ts says why). */
export function nativeImport(specifier: string): Promise<unknown> {
  return import(specifier);
}

export async function boot(): Promise<void> {
  const file = fileURLToPath(new URL('./cli.cjs', import.meta.url));
  await load(file).runProcess();
}

function load(file: string): Cli {
  const disabled = process.env.NODE_DISABLE_COMPILE_CACHE === '1';
  // Node >= 22.1 (its types here are Node 20's).
  const { enableCompileCache } = module as { enableCompileCache?: () => unknown };
  if (typeof enableCompileCache === 'function') {
    if (!disabled) enableCompileCache();
    return createRequire(file)(file) as Cli;
  }
  // ASCII (scripts/build.js checks): latin1 reads it without decoding UTF-8.
  const source = readFileSync(file, 'latin1');
  const build = BUILD_LINE.exec(source)?.[1];
  const cacheFile =
    build && !disabled ? path.join(cacheDirectory(), `cli-${build.slice(0, 16)}-${process.version}-${process.arch}.v8`) : undefined;
  const kept = cacheFile ? readOwnFile(cacheFile) : undefined;
  const cachedData = kept && kept.length > HEADER_BYTES ? kept.subarray(HEADER_BYTES) : undefined;
  // The file is its own wrapper function (scripts/build.js): not module.wrap(source), a second copy of 600 KB.
  const script = new vm.Script(source, { filename: file, cachedData });
  if (cacheFile) {
    const args = fingerprint(process.argv.slice(2));
    // The cache's rewrites so far; -1 when there is none V8 took.
    const rewrites = kept && cachedData && !script.cachedDataRejected ? kept.readUInt32LE(0) : -1;
    if (rewrites === -1 || (rewrites < REWRITES && kept!.readUInt32LE(4) !== args)) {
      // At exit, the functions this run compiled are in the cache too.
      process.once('exit', () => writeCache(cacheFile, script, rewrites + 1, args));
    }
  }
  const wrapper = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: { exports: unknown },
    filename: string,
    dirname: string,
  ) => void;
  const mod = { exports: {} as unknown };
  wrapper.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file));
  return mod.exports as Cli;
}

function cacheDirectory(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : os.userInfo().username;
  return path.join(os.tmpdir(), `werf-run-code-${uid}`);
}

/** Another user's (or a group- or world-writable) file or directory is never read: it would be code run as this user. */
function safe(stat: { uid: number; mode: number }): boolean {
  return typeof process.getuid !== 'function' || (stat.uid === process.getuid() && (stat.mode & 0o022) === 0);
}

function readOwnFile(file: string): Buffer | undefined {
  try {
    const dir = lstatSync(path.dirname(file));
    const own = lstatSync(file);
    if (!dir.isDirectory() || !safe(dir) || !own.isFile() || !safe(own)) return undefined;
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * The arguments' 32-bit FNV-1a hash, only to tell one run's arguments from
 * another's: not node:crypto, which a `--help` run would load only for this.
 */
function fingerprint(args: readonly string[]): number {
  let hash = 0x811c9dc5;
  for (const char of args.join('\0')) hash = Math.imul(hash ^ char.codePointAt(0)!, 0x01000193);
  return hash >>> 0;
}

function writeCache(file: string, script: vm.Script, rewrites: number, args: number): void {
  try {
    const dir = path.dirname(file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    if (!stat.isDirectory() || !safe(stat)) return;
    const tmp = `${file}.${process.pid}.tmp`;
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32LE(rewrites, 0);
    header.writeUInt32LE(args, 4);
    writeFileSync(tmp, Buffer.concat([header, script.createCachedData()]), { mode: 0o600 });
    renameSync(tmp, file);
    // Leftovers of interrupted writes go, and older builds' caches but the newest few: two installs side by side
    // (a global one and npx's, or two checkouts) would otherwise delete each other's cache at every run.
    const caches = readdirSync(dir)
      .filter((name) => /^cli-[0-9a-f]{16}-/.test(name) && name !== path.basename(file))
      .map((name) => ({ name, at: name.endsWith('.tmp') ? 0 : lstatSync(path.join(dir, name)).mtimeMs }));
    caches.sort((a, b) => b.at - a.at);
    for (const [i, { name, at }] of caches.entries()) if (at === 0 || i >= KEPT_BUILDS - 1) rmSync(path.join(dir, name), { force: true });
  } catch {
    // Only a speed-up: the next run compiles again.
  }
}
