/** Reading a tar from the Engine API's archive calls (GET /archive) into entries (tar-stream). */
import tar from 'tar-stream';

export interface TarEntry {
  header: tar.Headers;
  content: Buffer;
}

export async function readTar(archive: Buffer): Promise<TarEntry[]> {
  const extract = tar.extract();
  const entries: TarEntry[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      stream.on('end', () => {
        entries.push({ header, content: Buffer.concat(parts) });
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.end(archive);
  await done;
  return entries;
}

/** The text of the one file in an archive of a single path, or undefined when there is none. */
export async function fileFromTar(archive: Buffer | undefined): Promise<string | undefined> {
  if (!archive) return undefined;
  return (await readTar(archive)).find((e) => e.header.type === 'file')?.content.toString('utf8');
}
