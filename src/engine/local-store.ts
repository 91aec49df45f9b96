/** The context store on this machine's filesystem (the I/O behind context-store.ts). */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { readTextIfExists } from '../files.js';
import type { ContextStoreAccess } from './context-store.js';

export function localContextStore(configDir: string): ContextStoreAccess {
  return {
    configDir,
    readText: readTextIfExists,
    exists: (file) => existsSync(file),
    listNames() {
      const metaDir = path.join(configDir, 'contexts', 'meta');
      let dirs: string[];
      try {
        dirs = readdirSync(metaDir);
      } catch {
        return [];
      }
      const names: string[] = [];
      for (const dir of dirs) {
        try {
          const name = (JSON.parse(readTextIfExists(path.join(metaDir, dir, 'meta.json')) ?? '{}') as { Name?: unknown }).Name;
          if (typeof name === 'string') names.push(name);
        } catch {
          // A broken entry is not the one asked for; the docker CLI lists the rest too.
        }
      }
      return names.sort();
    },
  };
}

/** Names in a directory of this machine, none when it cannot be read (engine discovery's listDir). */
export function listDirNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
