/**
 * Reading a stream into memory with a limit: an engine (or a container's
 * content) that sends more than werf-run needs cannot make it eat the
 * machine. Past the limit the stream is dropped and the caller's error thrown.
 */

/** Whole bytes as "16 MiB" / "512 KiB" / "100 bytes", for the limit in messages. */
export function describeLimit(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1 << 10 && bytes % (1 << 10) === 0) return `${bytes / (1 << 10)} KiB`;
  return `${bytes} bytes`;
}

/** The stream's bytes, at most `maxBytes`; more: `tooBig()` is thrown and the stream destroyed (when it can be). */
export async function collectBounded(stream: AsyncIterable<Buffer>, maxBytes: number, tooBig: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (total > maxBytes) {
      (stream as { destroy?: () => void }).destroy?.();
      throw tooBig();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
