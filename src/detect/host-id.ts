/**
 * This machine's persistent random id, kept in the user's cache dir
 * (cache.ts cacheDir, `host-id`): where the OS gives no boot id and
 * PID namespace (macOS, Windows), it tells the machines that share an engine
 * apart for the orphan sweep (run/orphans.ts), as a hostname cannot (two
 * laptops called "MacBook-Pro", CI hosts cloned from one image).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const readId = (file: string): string | undefined => {
  try {
    const text = readFileSync(file, 'utf8').trim();
    return ID.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The id in `dir/host-id`, made on first use (exclusive create: two runs
 * starting at once agree on the first one written). Undefined when the dir
 * cannot be written: then no PIDs are judged on this machine (orphans.ts).
 */
export function persistentHostId(dir: string): string | undefined {
  const file = path.join(dir, 'host-id');
  const found = readId(file);
  if (found) return found;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${randomUUID()}\n`, { flag: 'wx', mode: 0o600 });
  } catch {
    // EEXIST: another run wrote it first (read below); a file that is not an id, or an unwritable dir: none.
  }
  return readId(file);
}
