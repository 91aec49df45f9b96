/**
 * Reading the user's files, one way everywhere: a file that is not there is
 * undefined; one that is there but cannot be read is one UsageError naming
 * it, with the fix (exit 2). Facts werf-run can do without (/proc files) are
 * read leniently.
 */
import { readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync, type RmOptions } from 'node:fs';
import { UsageError, errorMessage } from './errors.js';

/**
 * The file calls werf-run awaits, as promises of synchronous calls: not
 * node:fs/promises, which loads Node's readline and file watchers with it,
 * and not callback fs either: each call there is two hand-offs to libuv's
 * thread pool and back, which on a warm run's dozen small reads cost more
 * system time than the reads (5 ms a run on this project's machines). The
 * same results and errors (an error rejects); realpath is the native one,
 * as fs/promises' is.
 */
function settle<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}
export const fsp = {
  stat: (file: string) => settle(() => statSync(file)),
  readFile: (file: string) => settle(() => readFileSync(file)),
  readText: (file: string) => settle(() => readFileSync(file, 'utf8')),
  writeFile: (file: string, data: string | Uint8Array) => settle(() => writeFileSync(file, data)),
  readdir: (dir: string) => settle(() => readdirSync(dir)),
  readdirEntries: (dir: string) => settle(() => readdirSync(dir, { withFileTypes: true })),
  realpath: (file: string) => settle(() => realpathSync.native(file)),
  rm: (file: string, options?: RmOptions) => settle(() => rmSync(file, options)),
};

/** The file's bytes; undefined when it (or a directory on its path) does not exist. */
export function readIfExists(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new UsageError(`cannot read ${file}: ${errorMessage(error)}`, `make ${file} a file this user may read, or remove it`, error);
  }
}

/** The file as UTF-8 text; undefined when it does not exist. */
export function readTextIfExists(file: string): string | undefined {
  return readIfExists(file)?.toString('utf8');
}

/** The file as text, or undefined for any reason: for facts werf-run can do without. */
export function readTextIfReadable(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The file's bytes; a missing or unreadable file throws Node's own error (the caller says what it costs). */
export function readBytes(file: string): Buffer {
  return readFileSync(file);
}
