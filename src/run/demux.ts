/**
 * Copies a container's output to stdout/stderr byte for byte, with backpressure.
 *
 * Hand-written rather than docker-modem's demuxStream: that one writes without
 * waiting for 'drain' (memory grows with a slow reader) and can drop a last
 * frame that arrives after 'end' handlers ran. Here the source is read with
 * async iteration, so it is paused while a sink is full.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { WerfRunError } from '../errors.js';

export type StreamName = 'stdout' | 'stderr';

export interface Sinks {
  stdout: Writable;
  stderr: Writable;
}

const HEADER = 8;

/**
 * The largest frame werf-run holds: the daemon frames what it copies in 32 KiB
 * reads (moby's stdcopy writer sees io.Copy's buffer), so a header claiming
 * more is not a Docker Engine's stream; buffering it would take the machine's memory.
 */
export const MAX_FRAME_BYTES = 16 << 20;

function frameTooBig(size: number): WerfRunError {
  return new WerfRunError(
    `the engine's output stream announced a frame of ${size} bytes, more than werf-run's limit of ${MAX_FRAME_BYTES} bytes (16 MiB)`,
    { remedy: 'check that DOCKER_HOST (or the context) names a Docker Engine, not a proxy that rewrites its streams; werf was stopped' },
  );
}

/**
 * A sink whose reader went away (`werf-run build | head -1`: EPIPE) is
 * dropped, not fatal: the pump keeps draining werf's output (so werf never
 * blocks on it) and tells `onClosed` once, so the caller can stop werf.
 */
const deadSinks = new WeakSet<Writable>();

/** Told once per pump when a sink's reader went away. */
export type OnClosed = (name: StreamName) => void;

async function write(
  sink: Writable,
  chunk: Buffer,
  name: StreamName,
  onClosed: OnClosed | undefined,
  told: Set<StreamName>,
): Promise<void> {
  const dead = (): void => {
    deadSinks.add(sink);
    if (told.has(name)) return;
    told.add(name);
    onClosed?.(name);
  };
  if (deadSinks.has(sink) || sink.destroyed || sink.writableEnded) return dead();
  try {
    if (!sink.write(chunk)) await once(sink, 'drain');
  } catch {
    // once() rejects when the sink emits 'error' (EPIPE) while we wait for 'drain'.
    dead();
  }
}

/** Docker's multiplexed stream: frames of [type, 0, 0, 0, size (uint32 BE)] + payload; type 1 = stdout, 2 = stderr. */
export async function pumpMultiplexed(
  source: AsyncIterable<Buffer>,
  sinks: Sinks,
  onData: (name: StreamName, chunk: Buffer) => void,
  onClosed?: OnClosed,
  /** What of a frame's payload goes on to onData and the sink (run/attempt.ts takes werf-run's own lines out before werf starts). */
  take: (name: StreamName, payload: Buffer) => Buffer = (_name, payload) => payload,
): Promise<void> {
  const told = new Set<StreamName>();
  let buffered: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= HEADER) {
      const size = buffered.readUInt32BE(4);
      if (size > MAX_FRAME_BYTES) throw frameTooBig(size);
      if (buffered.length < HEADER + size) break;
      const name: StreamName = buffered[0] === 2 ? 'stderr' : 'stdout';
      const payload = take(name, buffered.subarray(HEADER, HEADER + size));
      buffered = buffered.subarray(HEADER + size);
      if (payload.length === 0) continue;
      onData(name, payload);
      await write(sinks[name], payload, name, onClosed, told);
    }
  }
  // A truncated frame at the very end still carries werf's bytes: keep them.
  if (buffered.length > HEADER) {
    const name: StreamName = buffered[0] === 2 ? 'stderr' : 'stdout';
    const payload = take(name, buffered.subarray(HEADER));
    onData(name, payload);
    await write(sinks[name], payload, name, onClosed, told);
  }
}

/** A TTY stream is raw bytes, all of it on stdout. */
export async function pumpRaw(
  source: AsyncIterable<Buffer>,
  sink: Writable,
  onData: (name: StreamName, chunk: Buffer) => void,
  onClosed?: OnClosed,
): Promise<void> {
  const told = new Set<StreamName>();
  for await (const chunk of source) {
    onData('stdout', chunk);
    await write(sink, chunk, 'stdout', onClosed, told);
  }
}
