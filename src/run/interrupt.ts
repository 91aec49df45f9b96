/**
 * Ctrl-C and SIGTERM. The first signal stops werf gracefully: the signal is
 * forwarded to the werf container, which gets a short grace period before it
 * is killed; containers without a graceful stop (probes) are removed at once.
 * A second signal kills at once. A third gives up waiting and exits (the next
 * run removes what is left). `interrupted` resolves once every live container
 * is gone, so the caller can exit 130/143.
 */
import type { Engine } from '../engine/port.js';
import { errorMessage } from '../errors.js';
import type { LiveContainers } from './live-containers.js';

export type StopSignal = 'SIGINT' | 'SIGTERM';
const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];

export interface SignalSource {
  on(signal: StopSignal, listener: () => void): unknown;
  off(signal: StopSignal, listener: () => void): unknown;
}

/** How a registered container is stopped on the n-th signal (n >= 1). */
export type Stopper = (signal: StopSignal, count: number) => Promise<void>;

/** docker stop's behaviour, with a second signal cutting the grace short. */
export function gracefulStopper(engine: Pick<Engine, 'killContainer'>, id: string, graceMs: number): Stopper {
  let timer: NodeJS.Timeout | undefined;
  return async (signal, count) => {
    clearTimeout(timer);
    if (count >= 2) {
      await engine.killContainer(id, 'SIGKILL');
      return;
    }
    timer = setTimeout(() => void engine.killContainer(id, 'SIGKILL').catch(() => undefined), graceMs);
    timer.unref();
    await engine.killContainer(id, signal);
  };
}

export interface InterruptOptions {
  source: SignalSource;
  engine: Pick<Engine, 'removeContainer' | 'killContainer'>;
  live: LiveContainers;
  /** Graceful stops by container; anything else live is removed at once. */
  stoppers: Map<string, Stopper>;
  /** How long to wait for stopped containers to be removed by their owners before removing them here. */
  settleMs: number;
  say(message: string): void;
  /** Called on the third signal: exit now. */
  giveUp(signal: StopSignal): void;
}

export interface InterruptHandle {
  /** The first signal, once its cleanup is done. */
  interrupted: Promise<StopSignal>;
  readonly signal: StopSignal | undefined;
  uninstall(): void;
}

export function handleInterrupts(o: InterruptOptions): InterruptHandle {
  let first: StopSignal | undefined;
  let count = 0;
  let resolveInterrupted: (signal: StopSignal) => void = () => undefined;
  const interrupted = new Promise<StopSignal>((resolve) => (resolveInterrupted = resolve));

  const stopAll = async (signal: StopSignal): Promise<void> => {
    await Promise.all(
      o.live.list().map(async (id) => {
        try {
          const stop = o.stoppers.get(id);
          if (stop) await stop(signal, count);
          else await o.engine.removeContainer(id);
        } catch (error) {
          o.say(`stopping container ${id.slice(0, 12)} failed: ${errorMessage(error)}`);
        }
      }),
    );
  };

  const settle = async (signal: StopSignal): Promise<void> => {
    await stopAll(signal);
    // The attempt that owns the werf container removes it once it stopped (and
    // its last output is written); remove here whatever is still there after that.
    const deadline = Date.now() + o.settleMs;
    while (o.live.list().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await o.live.removeAll(o.engine, (id, error) => o.say(`removing container ${id.slice(0, 12)} failed: ${errorMessage(error)}`));
    resolveInterrupted(signal);
  };

  const listeners = STOP_SIGNALS.map((signal) => {
    const listener = (): void => {
      count++;
      if (count === 1) {
        first = signal;
        o.live.close(`werf-run was interrupted by ${signal}`);
        o.say(`${signal}: stopping werf (press Ctrl-C again to kill it at once)`);
        void settle(signal);
      } else if (count === 2) {
        o.say(`${signal} again: killing werf`);
        void stopAll(signal);
      } else {
        o.say(`${signal} a third time: exiting now; the next werf-run removes what is left`);
        o.giveUp(first ?? signal);
      }
    };
    o.source.on(signal, listener);
    return { signal, listener };
  });

  return {
    interrupted,
    get signal() {
      return first;
    },
    uninstall() {
      for (const { signal, listener } of listeners) o.source.off(signal, listener);
    },
  };
}
