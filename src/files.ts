/**
 * Reading the user's files, one way everywhere: a file that is not there is
 * undefined; one that is there but cannot be read is one UsageError naming
 * it, with the fix (exit 2). Facts werf-run can do without (/proc files) are
 * read leniently.
 */
import fs, { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { UsageError, errorMessage } from './errors.js';

/**
 * fs's promise API as werf-run uses it, without node:fs/promises: importing
 * that module loads Node's readline and file watchers with it (2.5% of a warm
 * run's instructions), which werf-run never uses. The same calls: callback
 * fs through util.promisify, with the same results and errors.
 */
export const fsp = {
  stat: promisify(fs.stat),
  readFile: promisify(fs.readFile),
  writeFile: promisify(fs.writeFile),
  readdir: promisify(fs.readdir),
  realpath: promisify(fs.realpath),
  rm: promisify(fs.rm),
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
