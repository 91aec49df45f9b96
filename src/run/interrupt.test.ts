import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { gracefulStopper, handleInterrupts, type SignalSource, type StopSignal } from './interrupt.js';
import { LiveContainers } from './live-containers.js';

function setup() {
  const source = new EventEmitter() as EventEmitter & SignalSource;
  const calls: string[] = [];
  const live = new LiveContainers();
  const engine = {
    async killContainer(id: string, signal: string) {
      calls.push(`kill ${id} ${signal}`);
    },
    async removeContainer(id: string) {
      calls.push(`remove ${id}`);
      live.delete(id);
    },
  };
  const said: string[] = [];
  const gaveUp: StopSignal[] = [];
  return { source, calls, live, engine, said, gaveUp };
}

describe('handleInterrupts', () => {
  it('forwards the first signal to werf, removes probes at once, then kill on the second and resolves with the first signal', async () => {
    const t = setup();
    t.live.add('werf');
    t.live.add('probe');
    const stoppers = new Map([['werf', gracefulStopper(t.engine, 'werf', 60_000)]]);
    const h = handleInterrupts({
      source: t.source,
      engine: t.engine,
      live: t.live,
      stoppers,
      settleMs: 200,
      say: (m) => t.said.push(m),
      giveUp: (s) => t.gaveUp.push(s),
    });
    t.source.emit('SIGTERM');
    expect(t.live.closed).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(t.calls).toEqual(['kill werf SIGTERM', 'remove probe']);
    t.source.emit('SIGINT');
    await new Promise((r) => setTimeout(r, 10));
    expect(t.calls).toContain('kill werf SIGKILL');
    // The attempt would remove werf once stopped; here nobody does, so the handler removes it after settleMs.
    expect(await h.interrupted).toBe('SIGTERM');
    expect(t.calls.at(-1)).toBe('remove werf');
    expect(t.live.list()).toEqual([]);
    t.source.emit('SIGINT');
    expect(t.gaveUp).toEqual(['SIGTERM']);
    h.uninstall();
    expect(t.source.listenerCount('SIGINT')).toBe(0);
  });

  it('does nothing until a signal comes', () => {
    const t = setup();
    const h = handleInterrupts({
      source: t.source,
      engine: t.engine,
      live: t.live,
      stoppers: new Map(),
      settleMs: 10,
      say: () => undefined,
      giveUp: () => undefined,
    });
    expect(h.signal).toBeUndefined();
    expect(t.live.closed).toBe(false);
    h.uninstall();
  });
});

describe('gracefulStopper', () => {
  it('kills after the grace period when the container ignores the signal', async () => {
    const t = setup();
    const stop = gracefulStopper(t.engine, 'c', 20);
    await stop('SIGINT', 1);
    expect(t.calls).toEqual(['kill c SIGINT']);
    await new Promise((r) => setTimeout(r, 60));
    expect(t.calls).toEqual(['kill c SIGINT', 'kill c SIGKILL']);
  });
});
