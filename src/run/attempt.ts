/**
 * One attempt: create the werf container, stream its output, wait, remove it.
 * Output is watched line by line for known failure signatures; on a match the
 * container is killed at once (no point letting a doomed build go on) and the
 * attempt reports the failure so the caller can try the next mode.
 */
import type { Writable } from 'node:stream';
import { WerfRunError, errorMessage } from '../errors.js';
import type { ContainerSpec, Engine } from '../engine/port.js';
import { classify, type Signature } from '../recover/signatures.js';
import { LineSplitter } from './lines.js';
import { pumpMultiplexed, pumpRaw, type StreamName } from './demux.js';

export interface AttemptIO {
  stdout: Writable;
  stderr: Writable;
}

export interface AttemptResult {
  /** werf's exit code, or undefined when the container never ran. */
  exitCode: number | undefined;
  failure: Signature | undefined;
  containerId: string | undefined;
}

export interface AttemptHooks {
  /** Called once the container is running (e.g. to forward signals to it). */
  onStarted?(containerId: string): void;
  /** Called when a failure signature matched, before the container is killed. */
  onFailure?(signature: Signature, line: string): void;
}

export async function runAttempt(
  engine: Engine,
  spec: ContainerSpec,
  io: AttemptIO,
  hooks: AttemptHooks = {},
): Promise<AttemptResult> {
  let id: string;
  try {
    id = await engine.createContainer(spec);
  } catch (error) {
    // Some failures show up as API errors, not output (no /dev/fuse on the host).
    const failure = error instanceof Error ? classify(error.message) : undefined;
    if (failure) {
      hooks.onFailure?.(failure, error instanceof Error ? error.message : String(error));
      return { exitCode: undefined, failure, containerId: undefined };
    }
    throw error;
  }

  let failure: Signature | undefined;
  const splitters: Record<StreamName, LineSplitter> = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  const inspect = (lines: string[]): void => {
    if (failure) return;
    for (const line of lines) {
      const match = classify(line);
      if (match) {
        failure = match;
        hooks.onFailure?.(match, line);
        void engine.killContainer(id, 'SIGKILL').catch(() => undefined);
        return;
      }
    }
  };
  const onData = (name: StreamName, chunk: Buffer): void => inspect(splitters[name].push(chunk));

  try {
    const attached = await engine.attachContainer(id, { tty: spec.tty, stdin: spec.openStdin });
    const pumping = attached.multiplexed
      ? pumpMultiplexed(attached.output, io, onData)
      : pumpRaw(attached.output, io.stdout, onData);
    // Keep a rejection from going unhandled while we start and wait.
    pumping.catch(() => undefined);
    try {
      await engine.startContainer(id);
    } catch (error) {
      // The engine checks --device only at start (no /dev/fuse on the host).
      const startFailure = error instanceof Error ? classify(error.message) : undefined;
      if (!startFailure) throw error;
      hooks.onFailure?.(startFailure, errorMessage(error));
      return { exitCode: undefined, failure: startFailure, containerId: id };
    }
    hooks.onStarted?.(id);
    const exitCode = await engine.waitContainer(id);
    // The output stream ends shortly after the container stops; wait for it so
    // that the last line is never lost.
    await pumping;
    inspect(splitters.stdout.flush());
    inspect(splitters.stderr.flush());
    return { exitCode, failure, containerId: id };
  } catch (error) {
    if (error instanceof WerfRunError) throw error;
    throw new WerfRunError(`the werf container ${id.slice(0, 12)} failed: ${String(error)}`, { cause: error });
  } finally {
    await engine.removeContainer(id);
  }
}
