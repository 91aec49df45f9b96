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
import { gracefulStopper, handleInterrupts, type Stopper } from '../run/interrupt.js';
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

export async function withLifecycle(ctx: CliContext, reporter: Reporter, pipeline: (session: Session) => Promise<number>): Promise<number> {
  const owner = currentOwner(ctx);
  const live = new LiveContainers();
  const stoppers = new Map<string, Stopper>();
  let engine: Engine | undefined;
  const lazyEngine = {
    removeContainer: async (id: string) => engine?.removeContainer(id),
    killContainer: async (id: string, signal: string) => engine?.killContainer(id, signal),
  };
  const interrupts = ctx.signals
    ? handleInterrupts({
        source: ctx.signals,
        engine: lazyEngine,
        live,
        stoppers,
        settleMs: STOP_GRACE_MS + 5000,
        say: (message) => reporter.warn(message),
        giveUp: (signal) => ctx.exit?.(new InterruptedError(signal).exitCode),
      })
    : undefined;

  const session: Session = {
    owner,
    get interruptedBy() {
      return interrupts?.signal;
    },
    openEngine: (endpoint) => trackingEngine(ctx.openEngine(endpoint), live, owner),
    async engineReady(ready) {
      engine = ready;
      try {
        // Its containers carry werf-run's own container, when it runs in one: a later run can tell when that job is gone.
        owner.container ??= (await ownContainerOnce(ready))?.id;
        await removeOrphans(ready, owner, (message) => reporter.info(message));
      } catch (error) {
        reporter.warn(`looking for containers left behind by earlier runs failed: ${errorMessage(error)}`);
      }
    },
    attemptHooks: {
      onStarting: (id) => {
        if (engine) stoppers.set(id, gracefulStopper(engine, id, STOP_GRACE_MS));
      },
      onStarted: (id) => reporter.debug(`container ${id.slice(0, 12)} started`),
      // As on SIGTERM: werf gets the signal and STOP_GRACE_MS, then it is killed.
      onOutputClosed: (id, stream) => {
        reporter.debug(`the reader of ${stream} went away: stopping werf`);
        const stop = stoppers.get(id);
        const stopping = stop ? stop('SIGTERM', 1) : (engine?.killContainer(id, 'SIGKILL') ?? Promise.resolve());
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
    },
  };

  const flow = pipeline(session);
  try {
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
  } finally {
    interrupts?.uninstall();
    live.close('werf-run is finishing');
    // A safety net: attempts and probes remove their own containers.
    if (engine)
      await live.removeAll(engine, (id, error) => reporter.warn(`removing container ${id.slice(0, 12)} failed: ${errorMessage(error)}`));
  }
}
