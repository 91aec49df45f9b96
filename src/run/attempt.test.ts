import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../engine/port.js';
import { runAttempt } from './attempt.js';

const spec = { image: 'i', cmd: ['werf'], env: [], labels: {}, tty: false, openStdin: false, mounts: [], securityOpt: [], devices: [], privileged: false };
const timings = { watchIntervalMs: 20, pingTimeoutMs: 20, outputIdleMs: 100 };

function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = 1;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** An engine whose container's output and fate the test controls. */
function fakeEngine(over: Partial<Engine> & { output: PassThrough }): Engine & { removed: string[] } {
  const removed: string[] = [];
  const no = () => Promise.reject(new Error('not in this test'));
  return {
    endpoint: { url: 'unix:///fake.sock', source: 'test' },
    ping: async () => undefined,
    info: no, inspectImage: no, pullImage: no, listContainers: no, resizeContainerTty: no,
    createContainer: async () => 'c0ffee',
    attachContainer: async () => ({ output: over.output, multiplexed: true }),
    startContainer: async () => undefined,
    waitContainer: () => new Promise<number>(() => undefined),
    killContainer: async () => undefined,
    removeContainer: async (id: string) => {
      removed.push(id);
    },
    inspectContainer: async () => ({ running: false, exitCode: 0 }),
    ...over,
    removed,
  };
}

const sinks = () => ({ stdout: new PassThrough(), stderr: new PassThrough() });

describe('runAttempt against engine trouble', () => {
  it('does not hang when the output ends, wait() never answers and the engine stops answering', async () => {
    const output = new PassThrough();
    const engine = fakeEngine({ output, ping: async () => { throw new Error('connect ENOENT /fake.sock'); } });
    output.end(frame('last words\n'));
    await expect(runAttempt(engine, spec, sinks(), () => undefined, {}, timings)).rejects.toThrow(/lost the Docker Engine at unix:\/\/\/fake.sock while werf was running: connect ENOENT/);
    expect(engine.removed).toEqual(['c0ffee']);
  });

  it('keeps waiting while the engine answers (werf closed its streams but still runs)', async () => {
    const output = new PassThrough();
    let finish: (code: number) => void = () => undefined;
    let pings = 0;
    const engine = fakeEngine({
      output,
      ping: async () => {
        if (++pings === 3) finish(4);
      },
      waitContainer: () => new Promise<number>((resolve) => (finish = resolve)),
    });
    output.end();
    const result = await runAttempt(engine, spec, sinks(), () => undefined, {}, timings);
    expect(result.exitCode).toBe(4);
    expect(pings).toBeGreaterThanOrEqual(3);
  });

  it('stops waiting for an output stream that never ends after the container stopped, with a warning', async () => {
    const output = new PassThrough();
    const warnings: string[] = [];
    const engine = fakeEngine({ output, waitContainer: async () => 0 });
    output.write(frame('partial'));
    const io = sinks();
    const result = await runAttempt(engine, spec, io, () => undefined, { onWarning: (m) => warnings.push(m) }, timings);
    expect(result.exitCode).toBe(0);
    expect(warnings.join()).toMatch(/did not end 100 ms after the container stopped/);
    expect(io.stdout.read()?.toString()).toBe('partial');
  });

  it('says so when the container was removed from outside', async () => {
    const output = new PassThrough();
    const engine = fakeEngine({ output, waitContainer: async () => 137, inspectContainer: async () => undefined });
    output.end();
    await expect(runAttempt(engine, spec, sinks(), () => undefined, {}, timings)).rejects.toThrow(/removed from outside werf-run while werf was running \(it reported exit code 137\)/);
  });

  it('reports a wait() that fails as a lost engine', async () => {
    const output = new PassThrough();
    const engine = fakeEngine({ output, waitContainer: async () => { throw new Error('socket hang up'); } });
    await expect(runAttempt(engine, spec, sinks(), () => undefined, {}, timings)).rejects.toThrow(/lost the Docker Engine .* socket hang up/);
  });
});

describe('runAttempt hooks', () => {
  it('announces the start before asking the engine, so a signal in between stops werf gracefully', async () => {
    const output = new PassThrough();
    const events: string[] = [];
    const engine = fakeEngine({
      output,
      startContainer: async () => {
        events.push('start request');
        output.end(frame('werf prints before the start request returns\n'));
      },
      waitContainer: async () => 0,
    });
    await runAttempt(engine, spec, sinks(), () => undefined, { onStarting: () => events.push('onStarting'), onStarted: () => events.push('onStarted') }, timings);
    expect(events).toEqual(['onStarting', 'start request', 'onStarted']);
  });
});
