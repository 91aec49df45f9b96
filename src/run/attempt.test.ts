import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../engine/port.js';
import tar from 'tar-stream';
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
    info: no, inspectImage: no, pullImage: no, listContainers: no, resizeContainerTty: no, putArchive: no, getArchive: no,
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
    await expect(runAttempt(engine, spec, sinks(), {}, timings)).rejects.toThrow(/lost the Docker Engine at unix:\/\/\/fake.sock while werf was running: connect ENOENT/);
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
    const result = await runAttempt(engine, spec, sinks(), {}, timings);
    expect(result.exitCode).toBe(4);
    expect(pings).toBeGreaterThanOrEqual(3);
  });

  it('stops waiting for an output stream that never ends after the container stopped, with a warning', async () => {
    const output = new PassThrough();
    const warnings: string[] = [];
    const engine = fakeEngine({ output, waitContainer: async () => 0 });
    output.write(frame('partial'));
    const io = sinks();
    const result = await runAttempt(engine, spec, io, { onWarning: (m) => warnings.push(m) }, timings);
    expect(result.exitCode).toBe(0);
    expect(warnings.join()).toMatch(/did not end 100 ms after the container stopped/);
    expect(io.stdout.read()?.toString()).toBe('partial');
  });

  it('says so when the container was removed from outside', async () => {
    const output = new PassThrough();
    const engine = fakeEngine({ output, waitContainer: async () => 137, inspectContainer: async () => undefined });
    output.end();
    await expect(runAttempt(engine, spec, sinks(), {}, timings)).rejects.toThrow(/removed from outside werf-run while werf was running \(it reported exit code 137\)/);
  });

  it('reports a wait() that fails as a lost engine', async () => {
    const output = new PassThrough();
    const engine = fakeEngine({ output, waitContainer: async () => { throw new Error('socket hang up'); } });
    await expect(runAttempt(engine, spec, sinks(), {}, timings)).rejects.toThrow(/lost the Docker Engine .* socket hang up/);
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
    await runAttempt(engine, spec, sinks(), { onStarting: () => events.push('onStarting'), onStarted: () => events.push('onStarted') }, timings);
    expect(events).toEqual(['onStarting', 'start request', 'onStarted']);
  });
});

/** The entries of an uploaded tar: name, mode, owner and content. */
async function listTar(buffer: Buffer): Promise<string[]> {
  const extract = tar.extract();
  const seen: string[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      stream.on('end', () => {
        seen.push(`${header.type} ${header.name} ${(header.mode ?? 0).toString(8)} ${header.uid}:${header.gid} ${Buffer.concat(parts).toString()}`.trim());
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.end(buffer);
  await done;
  return seen;
}

describe('runAttempt files', () => {
  it('uploads the plan\'s files as one archive after create and before start', async () => {
    const output = new PassThrough();
    const events: string[] = [];
    const archives: Buffer[] = [];
    const engine = fakeEngine({
      output,
      createContainer: async () => {
        events.push('create');
        return 'c0ffee';
      },
      putArchive: async (id, where, archive) => {
        events.push(`put ${id} ${where}`);
        archives.push(archive as Buffer);
      },
      startContainer: async () => {
        events.push('start');
        output.end();
      },
      waitContainer: async () => 0,
    });
    const files = [
      { path: '/home/build/.docker/config.json', content: Buffer.from('{"auths":{}}'), mode: 0o600, uid: 1000, gid: 1000, secret: true },
      { path: '/home/build/.kube/config', content: Buffer.from('k'), mode: 0o600, uid: 1000, gid: 1000 },
    ];
    await runAttempt(engine, spec, sinks(), {}, timings, { files, keptDirs: ['/home/build', '/tmp'] });
    expect(events).toEqual(['create', 'put c0ffee /', 'start']);
    expect(await listTar(archives[0] as Buffer)).toEqual([
      'directory home/build/.docker 700 1000:1000',
      'file home/build/.docker/config.json 600 1000:1000 {"auths":{}}',
      'directory home/build/.kube 700 1000:1000',
      'file home/build/.kube/config 600 1000:1000 k',
    ]);
  });

  it('uploads nothing when there are no files, and removes the container when the upload fails', async () => {
    const output = new PassThrough();
    let puts = 0;
    const quiet = fakeEngine({ output, putArchive: async () => void puts++, startContainer: async () => void output.end(), waitContainer: async () => 0 });
    await runAttempt(quiet, spec, sinks(), {}, timings);
    expect(puts).toBe(0);
    const failing = fakeEngine({ output: new PassThrough(), putArchive: async () => { throw new Error('no space left'); } });
    const files = { files: [{ path: '/tmp/f', content: Buffer.from('x'), mode: 0o600, uid: 1, gid: 1 }], keptDirs: ['/tmp'] };
    await expect(runAttempt(failing, spec, sinks(), {}, timings, files)).rejects.toThrow(/no space left/);
    expect(failing.removed).toEqual(['c0ffee']);
  });
});
