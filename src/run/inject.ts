/**
 * Packs the plan's files into one tar and uploads it into the created werf
 * container before it starts (Engine.putArchive, extracted at `/`). The tar
 * lives in memory only: nothing is written to the host's disk.
 */
import type { Engine } from '../engine/port.js';
import { archiveEntries, type InjectedFile } from '../plan/files.js';

async function packFiles(files: readonly InjectedFile[], existing: readonly string[]): Promise<Buffer> {
  // Loaded only when there are files to hand in. A CommonJS package: a bundle gives its exports as the default.
  const loaded = (await import('tar-stream')) as typeof import('tar-stream') & { default?: typeof import('tar-stream') };
  const pack = (loaded.default ?? loaded).pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('data', (chunk: Buffer) => chunks.push(chunk));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  const mtime = new Date();
  for (const entry of archiveEntries(files, existing)) {
    const header = { name: entry.name, mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime, type: entry.type };
    if (entry.type === 'file') pack.entry({ ...header, size: entry.content.length }, entry.content);
    else pack.entry(header);
  }
  pack.finalize();
  return done;
}

/** Uploads the files into container `id`; `existing` are directories the archive must not touch (the image user's home, /tmp). */
export async function injectFiles(engine: Pick<Engine, 'putArchive'>, id: string, files: readonly InjectedFile[], existing: readonly string[]): Promise<void> {
  if (files.length === 0) return;
  await engine.putArchive(id, '/', await packFiles(files, existing));
}
