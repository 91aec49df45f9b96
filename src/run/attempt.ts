/**
 * One attempt: create the werf container, stream its output, wait, remove it.
 * Output is watched line by line by the failure watcher the caller passes in
 * (recover/ knows the signatures; run/ only runs); on a match the container is
 * killed at once (no point letting a doomed build go on) and the attempt
 * reports the failure so the caller can try the next mode.
 *
 * Engine trouble never hangs an attempt: when the output stream ends while
 * werf has not been reported stopped, the engine is pinged until wait()
 * answers or the engine does not; after werf stopped, the output gets a
 * bounded idle time to finish (a full local sink counts as activity).
 *
 * A reader of stdout/stderr that goes away (`| head`) while werf still runs
 * gets werf stopped (onOutputClosed) and the result says so; a werf that had
 * already finished keeps its exit code.
 */
import type { Readable, Writable } from 'node:stream';
import { WerfRunError, errorMessage } from '../errors.js';
import type { ContainerSpec, Engine } from '../engine/port.js';
import { LineSplitter } from './lines.js';
import { pumpMultiplexed, pumpRaw, type StreamName } from './demux.js';
import { rawTerminal, startTtySession, type TerminalInput, type TerminalOutput } from './tty.js';
import type { InjectedFile } from '../plan/files.js';
import { injectFiles } from './inject.js';
import type { AddedUser } from '../plan/checkout-owner.js';

export interface AttemptIO {
  stdout: TerminalOutput;
  stderr: Writable;
  /** Read only when the container has a TTY (interactive use). */
  stdin?: TerminalInput;
}

/** Reads one line of output, or an Engine API error, for a failure that dooms the attempt. */
export type FailureWatcher<F> = (text: string) => F | undefined;

export interface AttemptResult<F> {
  /** werf's exit code, or undefined when the container never ran. */
  exitCode: number | undefined;
  failure: F | undefined;
  containerId: string | undefined;
  /**
   * The reader of werf-run's stdout or stderr went away while werf was still
   * running (`| head`), and werf was stopped for it. Unset when werf had
   * already finished: then its exit code stands.
   */
  stoppedForClosed?: StreamName;
}

export interface AttemptHooks {
  /**
   * Called just before the container is started: from here on a signal must
   * stop it gracefully. (werf may print before the start request returns, so
   * waiting for onStarted would leave a window where Ctrl-C removes it at once.)
   */
  onStarting?(containerId: string): void;
  /** Called once the container is running. */
  onStarted?(containerId: string): void;
  /** werf's container stopped with this code, unless werf-run killed it for a failure signature. */
  onExit?(exitCode: number): void;
  /**
   * The reader of stdout/stderr went away while werf runs: stop it (gracefully,
   * as on SIGTERM). Without this hook the container is killed at once.
   */
  onOutputClosed?(containerId: string, stream: StreamName): void;
  /**
   * Something went wrong that does not change werf's result; `unremoved` names
   * the container when removing it failed (so whoever retries need not say it again).
   */
  onWarning?(message: string, unremoved?: string): void;
}

export interface AttemptTimings {
  /** After the output ended while wait() is pending: how often to check the engine still answers. */
  watchIntervalMs: number;
  pingTimeoutMs: number;
  /** After werf stopped: how long the output may stay silent before werf-run stops waiting for its end. */
  outputIdleMs: number;
}

/** Files to copy into the container between create and start (RunPlan.files and .keptDirs). */
export interface AttemptFiles {
  files: readonly InjectedFile[];
  keptDirs: readonly string[];
  addUser?: AddedUser;
}

const DEFAULT_TIMINGS: AttemptTimings = { watchIntervalMs: 3000, pingTimeoutMs: 3000, outputIdleMs: 5000 };

export async function runAttempt<F>(
  engine: Engine,
  spec: ContainerSpec,
  io: AttemptIO,
  watch: FailureWatcher<F>,
  hooks: AttemptHooks = {},
  timings: AttemptTimings = DEFAULT_TIMINGS,
  files: AttemptFiles = { files: [], keptDirs: [] },
): Promise<AttemptResult<F>> {
  let id: string;
  try {
    id = await engine.createContainer(spec);
  } catch (error) {
    // Some failures show up as API errors, not output (no /dev/fuse on the host).
    const failure = error instanceof Error ? watch(error.message) : undefined;
    if (failure) return { exitCode: undefined, failure, containerId: undefined };
    throw error;
  }
  const short = id.slice(0, 12);

  let failure: F | undefined;
  const splitters: Record<StreamName, LineSplitter> = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  const inspect = (lines: string[]): void => {
    if (failure) return;
    for (const line of lines) {
      const match = watch(line);
      if (match) {
        failure = match;
        void engine.killContainer(id, 'SIGKILL').catch(() => undefined);
        return;
      }
    }
  };
  let stoppedForClosed: StreamName | undefined;
  let exited = false;
  // The reader went away: stop werf only if it still runs (a finished werf keeps its exit code).
  const onClosed = (name: StreamName): void => {
    if (failure || stoppedForClosed || exited) return;
    void engine.inspectContainer(id).then(
      (state) => {
        if (!state?.running || failure || stoppedForClosed || exited) return;
        stoppedForClosed = name;
        if (hooks.onOutputClosed) hooks.onOutputClosed(id, name);
        else void engine.killContainer(id, 'SIGKILL').catch(() => undefined);
      },
      () => undefined,
    );
  };
  let lastActivity = Date.now();
  const onData = (name: StreamName, chunk: Buffer): void => {
    lastActivity = Date.now();
    inspect(splitters[name].push(chunk));
  };

  let restoreTerminal = (): void => undefined;
  let stopTtySession = (): void => undefined;
  try {
    // One archive, before start: werf must find its files from its first instruction on.
    await injectFiles(engine, id, files.files, files.keptDirs, spec.user, files.addUser);
    const attached = await engine.attachContainer(id, { tty: spec.tty, stdin: spec.openStdin });
    const pumping = attached.multiplexed
      ? pumpMultiplexed(attached.output, io, onData, onClosed)
      : pumpRaw(attached.output, io.stdout, onData, onClosed);
    // Keep a rejection from going unhandled while we start and wait. A stream werf-run refuses (demux.ts: a frame
    // past its limit) is no longer read: werf is stopped, else it would block on a full pipe; the error is told below.
    pumping.catch((error: unknown) => {
      if (error instanceof WerfRunError) void engine.killContainer(id, 'SIGKILL').catch(() => undefined);
    });
    // Raw before the start: werf may print at once, and its TTY already ends lines with \r\n.
    if (spec.tty && io.stdin) restoreTerminal = rawTerminal(io.stdin, io.stdout);
    hooks.onStarting?.(id);
    try {
      await engine.startContainer(id);
    } catch (error) {
      // The engine checks --device only at start (no /dev/fuse on the host).
      const startFailure = error instanceof Error ? watch(error.message) : undefined;
      if (!startFailure) {
        // werf may be running already (it prints before the start request returns) when the engine goes away.
        await engine.ping(timings.pingTimeoutMs).catch((pingError: unknown) => {
          throw lostEngine(engine, pingError);
        });
        throw error;
      }
      return { exitCode: undefined, failure: startFailure, containerId: id };
    }
    if (spec.tty && io.stdin) {
      stopTtySession = startTtySession({
        engine,
        containerId: id,
        stdin: io.stdin,
        stdout: io.stdout,
        input: attached.input,
        onError: (error) => hooks.onWarning?.(`resizing the TTY failed: ${errorMessage(error)}`),
      });
    }
    // Piped stdin (docker run -i): bytes as they come, then EOF (a half-close; the container's stdin is StdinOnce).
    const stopStdin = !spec.tty && spec.openStdin && io.stdin && attached.input ? forwardStdin(io.stdin, attached.input) : () => undefined;
    hooks.onStarted?.(id);
    const exitCode = await waitWatched(engine, id, pumping, timings).finally(stopStdin);
    exited = true;
    lastActivity = Date.now();
    const blocked = (): boolean => Boolean(io.stdout.writableNeedDrain || io.stderr.writableNeedDrain);
    const ended = await outputEnd(pumping, attached.output, () => (blocked() ? Date.now() : lastActivity), timings.outputIdleMs);
    if (!ended)
      hooks.onWarning?.(`werf's output stream did not end ${timings.outputIdleMs} ms after the container stopped; stopped waiting for it`);
    else
      await pumping.catch((error: unknown) => {
        if (error instanceof WerfRunError) throw error;
        throw new WerfRunError(`werf's output stream from the engine broke: ${errorMessage(error)}`, {
          remedy: 'check the Docker daemon (docker info); run again',
          cause: error,
        });
      });
    inspect(splitters.stdout.flush());
    inspect(splitters.stderr.flush());
    // Killed by a signal werf-run did not send: the engine may be going away.
    if (exitCode > 128 && !failure && !stoppedForClosed) {
      await engine.ping(timings.pingTimeoutMs).catch((error: unknown) => {
        throw lostEngine(engine, error);
      });
    }
    const state = await engine.inspectContainer(id).catch((error: unknown) => {
      throw lostEngine(engine, error);
    });
    if (!state) {
      throw new WerfRunError(
        `the werf container ${short} was removed from outside werf-run while werf was running (it reported exit code ${exitCode})`,
        {
          remedy:
            'do not remove containers labelled werf-run.managed=true while their werf-run runs (docker rm -f, docker container prune); run again',
        },
      );
    }
    // A container werf-run killed itself (a failure signature) is not news.
    if (!failure && !stoppedForClosed) hooks.onExit?.(exitCode);
    return { exitCode, failure, containerId: id, ...(stoppedForClosed ? { stoppedForClosed } : {}) };
  } catch (error) {
    if (error instanceof WerfRunError) throw error;
    throw new WerfRunError(`the werf container ${short} failed: ${String(error)}`, { cause: error });
  } finally {
    stopTtySession();
    restoreTerminal();
    try {
      await engine.removeContainer(id);
    } catch (error) {
      hooks.onWarning?.(`removing the werf container ${short} failed: ${errorMessage(error)} (the next werf-run removes it)`, id);
    }
  }
}

function lostEngine(engine: Engine, error: unknown): WerfRunError {
  return new WerfRunError(`lost the Docker Engine at ${engine.endpoint.url} while werf was running: ${errorMessage(error)}`, {
    remedy: 'check that the Docker daemon is running (docker info); the werf container may have stopped with it; run again',
    cause: error,
  });
}

/**
 * wait(), but never forever: once the output stream has ended (werf closed its
 * streams, or the connection to the engine went away), the engine must keep
 * answering pings until wait() answers.
 */
async function waitWatched(engine: Engine, id: string, pumping: Promise<void>, t: AttemptTimings): Promise<number> {
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const gone = (error: unknown): WerfRunError => lostEngine(engine, error);
  const watchdog = new Promise<never>((_, reject) => {
    const check = (): void => {
      if (done) return;
      engine.ping(t.pingTimeoutMs).then(
        () => {
          if (!done) timer = setTimeout(check, t.watchIntervalMs);
        },
        (error: unknown) => reject(gone(error)),
      );
    };
    const startWatching = (): void => {
      if (!done) timer = setTimeout(check, t.watchIntervalMs);
    };
    pumping.then(startWatching, startWatching);
  });
  watchdog.catch(() => undefined);
  try {
    return await Promise.race([
      engine.waitContainer(id).catch((error: unknown) => {
        throw gone(error);
      }),
      watchdog,
    ]);
  } finally {
    done = true;
    clearTimeout(timer);
  }
}

/** Resolves true when the output ended, false when it stayed idle for `idleMs` (then it is destroyed). */
function outputEnd(pumping: Promise<void>, output: Readable, lastActivity: () => number, idleMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const tick = setInterval(
      () => {
        if (Date.now() - lastActivity() > idleMs) {
          clearInterval(tick);
          output.destroy();
          resolve(false);
        }
      },
      Math.min(200, idleMs),
    );
    const finish = (): void => {
      clearInterval(tick);
      resolve(true);
    };
    pumping.then(finish, finish);
  });
}

/** Copies stdin into the container's until it ends, then half-closes; the returned function stops reading (werf exited first). */
function forwardStdin(stdin: Readable, input: Writable): () => void {
  const onData = (chunk: Buffer): void => {
    if (!input.write(chunk)) {
      stdin.pause();
      input.once('drain', () => stdin.resume());
    }
  };
  const onEnd = (): void => void input.end();
  stdin.on('data', onData);
  stdin.once('end', onEnd);
  // werf stopped reading (or exited): writes fail with EPIPE; that is werf's business, not an error of the run.
  input.on('error', () => undefined);
  stdin.resume();
  return () => {
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.pause();
  };
}
