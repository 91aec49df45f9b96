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
import type { AttachedStreams, ContainerSpec, Engine } from '../engine/port.js';
import { LineSplitter } from './lines.js';
import { pumpMultiplexed, pumpRaw, type StreamName } from './demux.js';
import { rawTerminal, startTtySession, type TerminalInput, type TerminalOutput } from './tty.js';
import type { InjectedFile } from '../plan/files.js';
import { injectFiles, type ShipRider } from './inject.js';
import type { AddedUser } from '../plan/checkout-owner.js';
import { systemClock, type Clock } from './clock.js';
import { Preamble } from './preamble.js';

interface AttemptIO {
  stdout: TerminalOutput;
  stderr: Writable;
  /** Read only when the container has a TTY (interactive use). */
  stdin?: TerminalInput;
}

/** Reads one line of output, or an Engine API error, for a failure that dooms the attempt. */
type FailureWatcher<F> = (text: string) => F | undefined;

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
  /** With a gate: what became of it ('incomplete': the container ended, or the gate timed out, before its end line). */
  gate?: 'go' | 'stop' | 'incomplete';
}

/**
 * A container whose command first prints lines of werf-run's own on stderr,
 * then `end`, then reads one line from its stdin (recover/fold-probe.ts): the
 * lines are taken out of the output, `decide` answers `go` or `stop` on the
 * container's stdin, and only after `go` does the user's stdin follow.
 */
interface AttemptGate {
  end: string;
  /** The lines before `end`; `complete` false when the container ended or timed out before it (the answer is then stop). */
  decide(lines: string[], complete: boolean): 'go' | 'stop';
  /** Forward the user's stdin after `go` (the plan's openStdin without the gate); else the container's stdin ends there. */
  forwardStdin: boolean;
  /** How long the lines may take before the container is killed. */
  timeoutMs: number;
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

interface AttemptTimings {
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
  /** A ship that rides in the same archive (run/ship.ts PendingShip): the first container created takes it. */
  ship?: Omit<ShipRider, 'mounts'>;
}

const DEFAULT_TIMINGS: AttemptTimings = { watchIntervalMs: 3000, pingTimeoutMs: 3000, outputIdleMs: 5000 };

/** What an attempt runs, where its output goes, and what it tells its caller. */
export interface AttemptOptions<F> {
  engine: Engine;
  spec: ContainerSpec;
  io: AttemptIO;
  watch: FailureWatcher<F>;
  hooks?: AttemptHooks;
  timings?: AttemptTimings;
  files?: AttemptFiles;
  /** The time and timers the attempt's time-outs go by (the system's unless a test drives them). */
  clock?: Clock;
  /** Lines of werf-run's own before werf starts, answered on stdin (no TTY). */
  gate?: AttemptGate;
}

/** Runs one attempt; its container is removed on every path (Attempt's dispose). */
export async function runAttempt<F>(options: AttemptOptions<F>): Promise<AttemptResult<F>> {
  await using attempt = new Attempt(options);
  return await attempt.run();
}

/**
 * One attempt as an object: its state (the container, the failure seen, whether
 * werf exited or a reader went away) in fields, and its cleanup (the TTY session,
 * the terminal mode, the container) in `[Symbol.asyncDispose]`, so `await using`
 * runs it on every path. Node >= 20.4 defines Symbol.asyncDispose (package.json
 * asks for 20.5), and esbuild (target node20) and tsc (ES2022) lower `await using`.
 */
class Attempt<F> implements AsyncDisposable {
  private readonly engine: Engine;
  private readonly spec: ContainerSpec;
  private readonly io: AttemptIO;
  private readonly watch: FailureWatcher<F>;
  private readonly hooks: AttemptHooks;
  private readonly timings: AttemptTimings;
  private readonly files: AttemptFiles;
  private readonly clock: Clock;
  private readonly gate: { options: AttemptGate; preamble: Preamble; answer?: 'go' | 'stop' | 'incomplete' } | undefined;
  /** The container's stdin, when it is open. */
  private input: Writable | undefined;
  private stopStdin: () => void = () => undefined;
  /** The container, once created. */
  private id: string | undefined;
  private disposed = false;
  private failure: F | undefined;
  private stoppedForClosed: StreamName | undefined;
  private exited = false;
  private lastActivity: number;
  private readonly splitters: Record<StreamName, LineSplitter> = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  /** Undone last first, before the container is removed. */
  private readonly undo: (() => void)[] = [];

  constructor(options: AttemptOptions<F>) {
    this.engine = options.engine;
    this.spec = options.spec;
    this.io = options.io;
    this.watch = options.watch;
    this.hooks = options.hooks ?? {};
    this.timings = options.timings ?? DEFAULT_TIMINGS;
    this.files = options.files ?? { files: [], keptDirs: [] };
    this.clock = options.clock ?? systemClock;
    this.lastActivity = this.clock.now();
    if (options.gate && (options.spec.tty || !options.spec.openStdin))
      throw new Error('internal: a gated attempt needs an open stdin and no TTY');
    this.gate = options.gate && { options: options.gate, preamble: new Preamble(options.gate.end) };
  }

  /** Creates, starts and waits for the container; the result says how werf ended, or which failure doomed it. */
  async run(): Promise<AttemptResult<F>> {
    const created = await this.create();
    if (created) return created;
    try {
      return await this.follow();
    } catch (error) {
      if (error instanceof WerfRunError) throw error;
      throw new WerfRunError(`the werf container ${this.short} failed: ${String(error)}`, { cause: error });
    }
  }

  /** Stops the TTY session, restores the terminal, removes the container (a failure is a warning). */
  async [Symbol.asyncDispose](): Promise<void> {
    for (const undo of this.undo.splice(0).reverse()) undo();
    const id = this.id;
    if (id === undefined || this.disposed) return;
    this.disposed = true;
    try {
      await this.engine.removeContainer(id);
    } catch (error) {
      this.hooks.onWarning?.(
        `removing the werf container ${id.slice(0, 12)} failed: ${errorMessage(error)} (the next werf-run removes it)`,
        id,
      );
    }
  }

  private get short(): string {
    return (this.id ?? '').slice(0, 12);
  }

  /** Creates the container; a failure the watcher knows is returned as the result (nothing to remove then). */
  private async create(): Promise<AttemptResult<F> | undefined> {
    try {
      this.id = await this.engine.createContainer(this.spec);
      return undefined;
    } catch (error) {
      // Some failures show up as API errors, not output (no /dev/fuse on the host).
      const failure = error instanceof Error ? this.watch(error.message) : undefined;
      if (failure) return { exitCode: undefined, failure, containerId: undefined };
      throw error;
    }
  }

  private async follow(): Promise<AttemptResult<F>> {
    const { engine, spec, io, files } = this;
    const id = this.id!;
    // One archive, before start: werf must find its files from its first instruction on.
    await injectFiles(
      engine,
      id,
      files.files,
      files.keptDirs,
      spec.user,
      files.addUser,
      files.ship && { ...files.ship, mounts: spec.mounts },
    );
    const attached = await engine.attachContainer(id, { tty: spec.tty, stdin: spec.openStdin });
    this.input = attached.input;
    const pumping = this.pump(attached);
    // Raw before the start: werf may print at once, and its TTY already ends lines with \r\n.
    if (spec.tty && io.stdin) this.undo.push(rawTerminal(io.stdin, io.stdout));
    this.hooks.onStarting?.(id);
    const startFailure = await this.start();
    if (startFailure) return { exitCode: undefined, failure: startFailure, containerId: id };
    if (spec.tty && io.stdin) this.undo.push(this.ttySession(io.stdin, attached.input));
    // Piped stdin (docker run -i): bytes as they come, then EOF (a half-close; the container's stdin is StdinOnce). A gate forwards it after `go`.
    if (!spec.tty && spec.openStdin && io.stdin && attached.input && !this.gate) this.stopStdin = forwardStdin(io.stdin, attached.input);
    this.hooks.onStarted?.(id);
    if (this.gate && !this.gate.answer) this.undo.push(this.clock.setTimeout(() => this.answer(false), this.gate.options.timeoutMs));
    const exitCode = await waitWatched(engine, id, pumping, this.timings, this.clock).finally(() => this.stopStdin());
    this.exited = true;
    this.lastActivity = this.clock.now();
    await this.outputEnded(pumping, attached.output);
    this.inspect(this.splitters.stdout.flush());
    this.inspect(this.splitters.stderr.flush());
    if (this.gate && !this.gate.answer) this.answer(false);
    return this.conclude(exitCode);
  }

  /** A gate's stderr: its lines are kept until the end line, then werf's output passes on. */
  private take(name: StreamName, payload: Buffer): Buffer {
    const gate = this.gate;
    if (!gate || name !== 'stderr' || gate.preamble.done) return payload;
    const { pass, ended } = gate.preamble.push(payload);
    if (ended) this.answer(true);
    return pass;
  }

  /** Answers the gate once: go lets the command start (and the user's stdin follow), anything else ends the container before it. */
  private answer(complete: boolean): void {
    const gate = this.gate;
    if (!gate || gate.answer) return;
    const said = gate.options.decide(gate.preamble.lines, complete);
    gate.answer = complete ? said : 'incomplete';
    const input = this.input;
    if (!complete && !this.exited) this.kill();
    if (!input || !complete) return;
    // The container may be gone already: a write to its closed stdin is not the run's error.
    input.on('error', () => undefined);
    input.write(`${said}\n`);
    if (said === 'go' && gate.options.forwardStdin && this.io.stdin) this.stopStdin = forwardStdin(this.io.stdin, input);
    else input.end();
  }

  /** Pumps the container's output to the sinks, through the watcher. */
  private pump(attached: AttachedStreams): Promise<void> {
    const onData = (name: StreamName, chunk: Buffer): void => {
      this.lastActivity = this.clock.now();
      this.inspect(this.splitters[name].push(chunk));
    };
    const onClosed = (name: StreamName): void => this.readerClosed(name);
    const pumping = attached.multiplexed
      ? pumpMultiplexed(attached.output, this.io, onData, onClosed, (name, payload) => this.take(name, payload))
      : pumpRaw(attached.output, this.io.stdout, onData, onClosed);
    // Keep a rejection from going unhandled while we start and wait. A stream werf-run refuses (demux.ts: a frame
    // past its limit) is no longer read: werf is stopped, else it would block on a full pipe; the error is told below.
    pumping.catch((error: unknown) => {
      if (error instanceof WerfRunError) this.kill();
    });
    return pumping;
  }

  /** Starts the container; a failure the watcher knows is returned, an engine gone away is told as such. */
  private async start(): Promise<F | undefined> {
    try {
      await this.engine.startContainer(this.id!);
      return undefined;
    } catch (error) {
      // The engine checks --device only at start (no /dev/fuse on the host).
      const startFailure = error instanceof Error ? this.watch(error.message) : undefined;
      if (startFailure) return startFailure;
      // werf may be running already (it prints before the start request returns) when the engine goes away.
      await this.engine.ping(this.timings.pingTimeoutMs).catch((pingError: unknown) => {
        throw lostEngine(this.engine, pingError);
      });
      throw error;
    }
  }

  private ttySession(stdin: TerminalInput, input: Writable | undefined): () => void {
    return startTtySession({
      engine: this.engine,
      containerId: this.id!,
      stdin,
      stdout: this.io.stdout,
      input,
      onError: (error) => this.hooks.onWarning?.(`resizing the TTY failed: ${errorMessage(error)}`),
    });
  }

  /** Waits for the output's end (bounded by its idle time); a broken stream is werf-run's error. */
  private async outputEnded(pumping: Promise<void>, output: Readable): Promise<void> {
    const { io, timings, clock } = this;
    const blocked = (): boolean => Boolean(io.stdout.writableNeedDrain || io.stderr.writableNeedDrain);
    const ended = await outputEnd(pumping, output, () => (blocked() ? clock.now() : this.lastActivity), timings.outputIdleMs, clock);
    if (!ended) {
      this.hooks.onWarning?.(
        `werf's output stream did not end ${timings.outputIdleMs} ms after the container stopped; stopped waiting for it`,
      );
      return;
    }
    await pumping.catch((error: unknown) => {
      if (error instanceof WerfRunError) throw error;
      throw new WerfRunError(`werf's output stream from the engine broke: ${errorMessage(error)}`, {
        remedy: 'check the Docker daemon (docker info); run again',
        cause: error,
      });
    });
  }

  /** After werf stopped: an engine going away, or a container removed from outside, is not werf's result. */
  private async conclude(exitCode: number): Promise<AttemptResult<F>> {
    const { engine, failure, stoppedForClosed } = this;
    // Killed by a signal werf-run did not send: the engine may be going away.
    if (exitCode > 128 && !failure && !stoppedForClosed) {
      await engine.ping(this.timings.pingTimeoutMs).catch((error: unknown) => {
        throw lostEngine(engine, error);
      });
    }
    const state = await engine.inspectContainer(this.id!).catch((error: unknown) => {
      throw lostEngine(engine, error);
    });
    if (!state) {
      throw new WerfRunError(
        `the werf container ${this.short} was removed from outside werf-run while werf was running (it reported exit code ${exitCode})`,
        {
          remedy:
            'do not remove containers labelled werf-run.managed=true while their werf-run runs (docker rm -f, docker container prune); run again',
        },
      );
    }
    // A container werf-run killed itself (a failure signature) is not news, nor one it stopped at its gate.
    if (!failure && !stoppedForClosed && (!this.gate || this.gate.answer === 'go')) this.hooks.onExit?.(exitCode);
    const gate = this.gate?.answer;
    return { exitCode, failure, containerId: this.id, ...(stoppedForClosed ? { stoppedForClosed } : {}), ...(gate ? { gate } : {}) };
  }

  /** Lines of output through the watcher: the first failure kills the container. */
  private inspect(lines: string[]): void {
    if (this.failure) return;
    for (const line of lines) {
      const match = this.watch(line);
      if (match) {
        this.failure = match;
        this.kill();
        return;
      }
    }
  }

  /** The reader went away: stop werf only if it still runs (a finished werf keeps its exit code). */
  private readerClosed(name: StreamName): void {
    const id = this.id!;
    const over = (): boolean => Boolean(this.failure || this.stoppedForClosed || this.exited);
    if (over()) return;
    void this.engine.inspectContainer(id).then(
      (state) => {
        if (!state?.running || over()) return;
        this.stoppedForClosed = name;
        if (this.hooks.onOutputClosed) this.hooks.onOutputClosed(id, name);
        else this.kill();
      },
      () => undefined,
    );
  }

  private kill(): void {
    void this.engine.killContainer(this.id!, 'SIGKILL').catch(() => undefined);
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
async function waitWatched(engine: Engine, id: string, pumping: Promise<void>, t: AttemptTimings, clock: Clock): Promise<number> {
  let done = false;
  let cancel = (): void => undefined;
  const gone = (error: unknown): WerfRunError => lostEngine(engine, error);
  const watchdog = new Promise<never>((_, reject) => {
    const check = (): void => {
      if (done) return;
      engine.ping(t.pingTimeoutMs).then(
        () => {
          if (!done) cancel = clock.setTimeout(check, t.watchIntervalMs);
        },
        (error: unknown) => reject(gone(error)),
      );
    };
    const startWatching = (): void => {
      if (!done) cancel = clock.setTimeout(check, t.watchIntervalMs);
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
    cancel();
  }
}

/** Resolves true when the output ended, false when it stayed idle for `idleMs` (then it is destroyed). */
function outputEnd(pumping: Promise<void>, output: Readable, lastActivity: () => number, idleMs: number, clock: Clock): Promise<boolean> {
  return new Promise((resolve) => {
    const stop = clock.setInterval(
      () => {
        if (clock.now() - lastActivity() > idleMs) {
          stop();
          output.destroy();
          resolve(false);
        }
      },
      Math.min(200, idleMs),
    );
    const finish = (): void => {
      stop();
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
