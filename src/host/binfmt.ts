/**
 * The enabled binfmt_misc handlers of this machine's kernel, for a local
 * engine (the daemon's host is this machine). Each entry of
 * /proc/sys/fs/binfmt_misc but `register` and `status` is a handler whose
 * file starts with "enabled" or "disabled" (kernel Documentation/admin-guide/binfmt-misc.rst).
 * Not mounted: no handlers.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { readIfExists } from '../files.js';

export function binfmtHandlers(dir = '/proc/sys/fs/binfmt_misc'): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter(
    (n) => n !== 'register' && n !== 'status' && /^enabled/.test(readIfExists(path.join(dir, n))?.toString('utf8') ?? ''),
  );
}
