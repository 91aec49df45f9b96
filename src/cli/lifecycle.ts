/**
 * The run's lifecycle around the pipeline in werf-command.ts: who owns the
 * containers, the registry of live ones, the sweep of orphans left by earlier
 * runs, Ctrl-C/SIGTERM, and cleanup on every path. The pipeline gets a
 * Session; everything it creates through `session.openEngine` is labelled,
 * tracked and removed whatever happens.
 */
import os from 'node:os';
import type { Endpoint, Engine } from '../engine/port.js';
import { InterruptedError, errorMessage } from '../errors.js';
import type { AttemptHooks } from '../run/attempt.js';
import { gracefulStopper, handleInterrupts, type InterruptHandle, type Stopper } from '../run/interrupt.js';
import { LiveContainers, trackingEngine } from '../run/live-containers.js';
import { pidNamespaceOf, pidPlace, processStartOf, removeOrphans, type Owner } from '../run/orphans.js';
import { cacheDir } from '../detect/cache.js';
import { persistentHostId } from '../detect/host-id.js';
import type { CliContext } from './context.js';
import { ownContainerOnce } from '../host/own-container.js';
import type { Reporter } from '../reporter.js';

/** How long werf gets after the forwarded signal before it is killed (docker stop uses 10 s). */
const STOP_GRACE_MS = 10_000;

const SIGNAL_NAMES: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 15: 'SIGTERM' };

export interface Session {
  owner: Owner;
  /** Opens the engine through the container registry (use instead of ctx.openEngine). */
  openEngine(endpoint: Endpoint): Engine;
  /** Call once connected: removes containers of dead earlier runs. */
  engineReady(engine: Engine): Promise<void>;
  /** Hooks for runAttempt: graceful stop on signals, warnings to the reporter. */
  attemptHooks: AttemptHooks;
  /** The signal that interrupted the run, once one did: what werf did after it (killed, 137) is not werf's result. */
  readonly interruptedBy: string | undefined;
}

function currentOwner(ctx: CliContext, now: () => number = Date.now): Owner {
  return {
    host: os.hostname(),
    pid: process.pid,
    startedAt: new Date(now() - Math.round(process.uptime() * 1000)).toISOString(),
    processStart: processStartOf('self'),
    pidNamespace: pidPlace(pidNamespaceOf(), () => persistentHostId(cacheDir(ctx.env, ctx.home ?? os.homedir()))),
  };
}

/** Runs the pipeline in a Lifecycle; its cleanup (signal handlers, the containers left) runs on every path. */
export async function withLifecycle(ctx: CliContext, reporter: Reporter, pipeline: (session: Session) => Promise<number>): Promise<number> {
  await using lifecycle = new Lifecycle(ctx, reporter);
  return await lifecycle.run(pipeline);
}

/**
 * The run's lifecycle as an object: the owner, the registry of live containers,
 * their graceful stoppers and the signal handlers; `[Symbol.asyncDispose]`
 * uninstalls the handlers and removes what is still live.
 */
class Lifecycle implements AsyncDisposable {
  private readonly owner: Owner;
  private readonly live = new LiveContainers();
  private readonly stoppers = new Map<string, Stopper>();
  private engine: Engine | undefined;
  private readonly interrupts: InterruptHandle | undefined;

  constructor(
    private readonly ctx: CliContext,
    private readonly reporter: Reporter,
  ) {
    this.owner = currentOwner(ctx);
    const lazyEngine = {
      removeContainer: async (id: string) => this.engine?.removeContainer(id),
      killContainer: async (id: string, signal: string) => this.engine?.killContainer(id, signal),
    };
    this.interrupts = ctx.signals
      ? handleInterrupts({
          source: ctx.signals,
          engine: lazyEngine,
          live: this.live,
          stoppers: this.stoppers,
          settleMs: STOP_GRACE_MS + 5000,
          say: (message) => reporter.warn(message),
          giveUp: (signal) => ctx.exit?.(new InterruptedError(signal).exitCode),
        })
      : undefined;
  }

  /** The pipeline's outcome; once a signal interrupted it, the interruption instead. */
  async run(pipeline: (session: Session) => Promise<number>): Promise<number> {
    const flow = pipeline(this.session());
    const interrupts = this.interrupts;
    if (!interrupts) return await flow;
    const outcome = await Promise.race([
      flow.then(
        (code) => ({ code }),
        (error: unknown) => ({ error }),
      ),
      interrupts.interrupted.then(() => ({ interrupted: true })),
    ]);
    // Once interrupted, what the pipeline did next (werf's 130, a failed create) does not matter.
    if (interrupts.signal) {
      await interrupts.interrupted;
      throw new InterruptedError(interrupts.signal);
    }
    if ('error' in outcome) throw outcome.error;
    if ('code' in outcome) return outcome.code;
    throw new Error('unreachable: interrupted without a signal');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.interrupts?.uninstall();
    this.live.close('werf-run is finishing');
    // A safety net: attempts and probes remove their own containers.
    if (this.engine)
      await this.live.removeAll(this.engine, (id, error) =>
        this.reporter.warn(`removing container ${id.slice(0, 12)} failed: ${errorMessage(error)}`),
      );
  }

  private session(): Session {
    const { ctx, reporter, owner, live, interrupts } = this;
    return {
      owner,
      get interruptedBy() {
        return interrupts?.signal;
      },
      openEngine: (endpoint) => trackingEngine(ctx.openEngine(endpoint), live, owner),
      engineReady: async (ready) => {
        this.engine = ready;
        try {
          // Its containers carry werf-run's own container, when it runs in one: a later run can tell when that job is gone.
          owner.container ??= (await ownContainerOnce(ready))?.id;
          await removeOrphans(ready, owner, (message) => reporter.info(message));
        } catch (error) {
          reporter.warn(`looking for containers left behind by earlier runs failed: ${errorMessage(error)}`);
        }
      },
      attemptHooks: this.attemptHooks(),
    };
  }

  /** Graceful stop on signals and on a reader gone away, warnings to the reporter. */
  private attemptHooks(): AttemptHooks {
    const { reporter, live, stoppers, interrupts } = this;
    return {
      onStarting: (id) => {
        if (this.engine) stoppers.set(id, gracefulStopper(this.engine, id, STOP_GRACE_MS));
      },
      onStarted: (id) => reporter.debug(`container ${id.slice(0, 12)} started`),
      // As on SIGTERM: werf gets the signal and STOP_GRACE_MS, then it is killed.
      onOutputClosed: (id, stream) => {
        reporter.debug(`the reader of ${stream} went away: stopping werf`);
        const stop = stoppers.get(id);
        const stopping = stop ? stop('SIGTERM', 1) : (this.engine?.killContainer(id, 'SIGKILL') ?? Promise.resolve());
        stopping.catch((error: unknown) => reporter.warn(`stopping werf failed: ${errorMessage(error)}`));
      },
      onWarning: (message, unremoved) => {
        if (unremoved) live.markReported(unremoved);
        reporter.warn(message);
      },
      onExit: (code) => {
        if (code > 128 && !interrupts?.signal) {
          const name = SIGNAL_NAMES[code - 128] ?? `signal ${code - 128}`;
          reporter.warn(
            `werf was stopped by ${name} from outside werf-run (exit code ${code}): docker stop/kill, the Docker daemon stopping, or the out-of-memory killer`,
          );
        }
      },
    };
  }
}
