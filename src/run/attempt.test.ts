import { PassThrough } from 'node:stream';
import tar from 'tar-stream';
import { describe, expect, it, vi } from 'vitest';
import type { Engine } from '../engine/port.js';
import { fakeEngine } from '../../test/fakes.js';
import { runAttempt } from './attempt.js';
import type { PendingShip, ShipResult } from './ship.js';
import { readTar } from './tar.js';

const spec = {
  image: 'i',
  cmd: ['werf'],
  env: [],
  labels: {},
  tty: false,
  openStdin: false,
  mounts: [],
  securityOpt: [],
  devices: [],
  privileged: false,
};
const timings = { watchIntervalMs: 20, pingTimeoutMs: 20, outputIdleMs: 100 };

function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = 1;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** An engine whose container's output and fate the test controls. */
function attemptEngine({ output, ...over }: Partial<Engine> & { output: PassThrough }): Engine & { removed: string[] } {
  const removed: string[] = [];
  const engine = fakeEngine({
    ping: async () => undefined,
    createContainer: async () => 'c0ffee',
    attachContainer: async () => ({ output, multiplexed: true }),
    startContainer: async () => undefined,
    waitContainer: () => new Promise<number>(() => undefined),
    killContainer: async () => undefined,
    removeContainer: async (id: string) => {
      removed.push(id);
    },
    inspectContainer: async () => ({ running: false, exitCode: 0 }),
    ...over,
  });
  return Object.assign(engine, { removed });
}

const sinks = () => ({ stdout: new PassThrough(), stderr: new PassThrough() });

describe('runAttempt against engine trouble', () => {
  it('does not hang when the output ends, wait() never answers and the engine stops answering', async () => {
    const output = new PassThrough();
    const engine = attemptEngine({
      output,
      ping: async () => {
        throw new Error('connect ENOENT /fake.sock');
      },
    });
    output.end(frame('last words\n'));
    await expect(runAttempt({ engine, spec, io: sinks(), watch: () => undefined, timings })).rejects.toThrow(
      /lost the Docker Engine at unix:\/\/\/fake.sock while werf was running: connect ENOENT/,
    );
    expect(engine.removed).toEqual(['c0ffee']);
  });

  it('keeps waiting while the engine answers (werf closed its streams but still runs)', async () => {
    const output = new PassThrough();
    let finish: (code: number) => void = () => undefined;
    let pings = 0;
    const engine = attemptEngine({
      output,
      ping: async () => {
        if (++pings === 3) finish(4);
      },
      waitContainer: () => new Promise<number>((resolve) => (finish = resolve)),
    });
    output.end();
    const result = await runAttempt({ engine, spec, io: sinks(), watch: () => undefined, timings });
    expect(result.exitCode).toBe(4);
    expect(pings).toBeGreaterThanOrEqual(3);
  });

  it('stops waiting for an output stream that never ends after the container stopped, with a warning', async () => {
    const output = new PassThrough();
    const warnings: string[] = [];
    const engine = attemptEngine({ output, waitContainer: async () => 0 });
    output.write(frame('partial'));
    const io = sinks();
    const result = await runAttempt({ engine, spec, io, watch: () => undefined, hooks: { onWarning: (m) => warnings.push(m) }, timings });
    expect(result.exitCode).toBe(0);
    expect(warnings.join()).toMatch(/did not end 100 ms after the container stopped/);
    expect(io.stdout.read()?.toString()).toBe('partial');
  });

  it('says so when the container was removed from outside', async () => {
    const output = new PassThrough();
    const engine = attemptEngine({ output, waitContainer: async () => 137, inspectContainer: async () => undefined });
    output.end();
    await expect(runAttempt({ engine, spec, io: sinks(), watch: () => undefined, timings })).rejects.toThrow(
      /removed from outside werf-run while werf was running \(it reported exit code 137\)/,
    );
  });

  it('reports a wait() that fails as a lost engine', async () => {
    const output = new PassThrough();
    const engine = attemptEngine({
      output,
      waitContainer: async () => {
        throw new Error('socket hang up');
      },
    });
    await expect(runAttempt({ engine, spec, io: sinks(), watch: () => undefined, timings })).rejects.toThrow(
      /lost the Docker Engine .* socket hang up/,
    );
  });
  it('reports a start request that fails because the engine went away as a lost engine', async () => {
    const output = new PassThrough();
    const engine = attemptEngine({
      output,
      startContainer: async () => {
        throw new Error('starting the werf container failed: socket hang up');
      },
      ping: async () => {
        throw new Error('connect ECONNREFUSED /fake.sock');
      },
    });
    await expect(runAttempt({ engine, spec, io: sinks(), watch: () => undefined, timings })).rejects.toThrow(
      /lost the Docker Engine at unix:\/\/\/fake.sock while werf was running: connect ECONNREFUSED/,
    );
    expect(engine.removed).toEqual(['c0ffee']);
  });

  it('passes on a start error of an engine that still answers', async () => {
    const output = new PassThrough();
    const engine = attemptEngine({
      output,
      startContainer: async () => Promise.reject(new Error('starting the werf container failed: no such image')),
    });
    await expect(runAttempt({ engine, spec, io: sinks(), watch: () => undefined, timings })).rejects.toThrow(
      'starting the werf container failed: no such image',
    );
  });
});

describe('runAttempt hooks', () => {
  it('announces the start before asking the engine, so a signal in between stops werf gracefully', async () => {
    const output = new PassThrough();
    const events: string[] = [];
    const engine = attemptEngine({
      output,
      startContainer: async () => {
        events.push('start request');
        output.end(frame('werf prints before the start request returns\n'));
      },
      waitContainer: async () => 0,
    });
    await runAttempt({
      engine,
      spec,
      io: sinks(),
      watch: () => undefined,
      hooks: { onStarting: () => events.push('onStarting'), onStarted: () => events.push('onStarted') },
      timings,
    });
    expect(events).toEqual(['onStarting', 'start request', 'onStarted']);
  });
});

describe('runAttempt when a reader goes away', () => {
  it('stops a running werf through onOutputClosed and says which stream closed', async () => {
    const output = new PassThrough();
    let finish: (code: number) => void = () => undefined;
    const closed: string[] = [];
    const engine = attemptEngine({
      output,
      waitContainer: () => new Promise<number>((resolve) => (finish = resolve)),
      inspectContainer: async () => ({ running: true, exitCode: 0 }),
    });
    const io = sinks();
    io.stdout.destroy();
    const hooks = {
      onOutputClosed: (id: string, stream: string) => {
        closed.push(`${id} ${stream}`);
        finish(143);
        output.end();
      },
    };
    output.write(frame('endless\n'));
    output.write(frame('endless\n'));
    const result = await runAttempt({ engine, spec, io, watch: () => undefined, hooks, timings });
    expect(closed).toEqual(['c0ffee stdout']);
    expect(result).toMatchObject({ exitCode: 143, stoppedForClosed: 'stdout' });
    expect(engine.removed).toEqual(['c0ffee']);
  });

  it('keeps the exit code of a werf that had already finished', async () => {
    const output = new PassThrough();
    const closed: string[] = [];
    const engine = attemptEngine({ output, waitContainer: async () => 7, inspectContainer: async () => ({ running: false, exitCode: 7 }) });
    const io = sinks();
    io.stdout.destroy();
    output.end(frame('late output\n'));
    const result = await runAttempt({
      engine,
      spec,
      io,
      watch: () => undefined,
      hooks: { onOutputClosed: (id) => void closed.push(id) },
      timings,
    });
    expect(closed).toEqual([]);
    expect(result.exitCode).toBe(7);
    expect(result.stoppedForClosed).toBeUndefined();
  });
});

/** The entries of an uploaded tar: name, mode, owner and content. */
/** What GET /containers/{id}/archive?path=FILE answers for one file. */
async function oneFileTar(file: string, text: string): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: file.split('/').pop()!, mode: 0o644 }, text);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function listTar(buffer: Buffer): Promise<string[]> {
  return (await readTar(buffer)).map(({ header, content }) =>
    `${header.type} ${header.name} ${(header.mode ?? 0).toString(8)} ${header.uid}:${header.gid} ${content.toString()}`.trim(),
  );
}

describe('runAttempt files', () => {
  it("uploads the plan's files as one archive after create and before start", async () => {
    const output = new PassThrough();
    const events: string[] = [];
    const archives: Buffer[] = [];
    const engine = attemptEngine({
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
    await runAttempt({ engine, spec, io: sinks(), watch: () => undefined, timings, files: { files, keptDirs: ['/home/build', '/tmp'] } });
    expect(events).toEqual(['create', 'put c0ffee /', 'start']);
    expect(await listTar(archives[0] as Buffer)).toEqual([
      'directory home/build/.docker 700 1000:1000',
      'file home/build/.docker/config.json 600 1000:1000 {"auths":{}}',
      'directory home/build/.kube 700 1000:1000',
      'file home/build/.kube/config 600 1000:1000 k',
    ]);
  });

  it("owns files the plan left without owner by the container user's ids from the image's /etc/passwd and /etc/group", async () => {
    const images: Record<string, string> = {
      '/etc/passwd': 'root:x:0:0::/root:/bin/sh\nci:x:1500:1600::/home/ci:/bin/sh\n',
      '/etc/group': 'root:x:0:\ndocker:x:998:\n',
    };
    const read: string[] = [];
    const archives: Buffer[] = [];
    const output = new PassThrough();
    const engine = attemptEngine({
      output,
      getArchive: async (_id, file) => {
        read.push(file);
        return images[file] === undefined ? undefined : oneFileTar(file, images[file]);
      },
      putArchive: async (_id, _where, archive) => void archives.push(archive as Buffer),
      startContainer: async () => void output.end(),
      waitContainer: async () => 0,
    });
    const files = [
      { path: '/home/ci/.docker/config.json', content: Buffer.from('{}'), mode: 0o600, secret: true },
      { path: '/etc/subuid', content: Buffer.from('ci:1:999\n'), mode: 0o644, uid: 0, gid: 0 },
    ];
    await runAttempt({
      engine,
      spec: { ...spec, user: 'ci:docker' },
      io: sinks(),
      watch: () => undefined,
      timings,
      files: {
        files,
        keptDirs: ['/home/ci', '/tmp'],
      },
    });
    expect(read.sort()).toEqual(['/etc/group', '/etc/passwd']);
    expect(await listTar(archives[0] as Buffer)).toEqual([
      'directory home/ci/.docker 700 1500:998',
      'file home/ci/.docker/config.json 600 1500:998 {}',
      'directory etc 755 0:0',
      'file etc/subuid 644 0:0 ci:1:999',
    ]);

    // A name the image lacks: runc's own words (cli/user-error.ts makes them the config error), nothing uploaded, the container removed.
    const lacking = attemptEngine({
      output: new PassThrough(),
      getArchive: async (_id, file) => oneFileTar(file, images[file] ?? ''),
      putArchive: async () => void archives.push(Buffer.alloc(0)),
    });
    await expect(
      runAttempt({
        engine: lacking,
        spec: { ...spec, user: 'alice' },
        io: sinks(),
        watch: () => undefined,
        timings,
        files: { files: files.slice(0, 1), keptDirs: [] },
      }),
    ).rejects.toThrow('unable to find user alice: no matching entries in passwd file');
    expect(archives).toHaveLength(1);
    expect(lacking.removed).toEqual(['c0ffee']);
  });

  it("carries a pending ship in the same archive, first, at the volumes' mount targets; a later attempt does not send it again", async () => {
    const events: string[] = [];
    const archives: Buffer[] = [];
    const engineFor = (output: PassThrough) =>
      attemptEngine({
        output,
        createContainer: async () => {
          events.push('create');
          return 'c0ffee';
        },
        putArchive: async (_id, where, archive) => {
          events.push(`put ${where}`);
          const chunks: Buffer[] = [];
          if (Buffer.isBuffer(archive)) chunks.push(archive);
          else for await (const chunk of archive as AsyncIterable<Buffer>) chunks.push(chunk);
          archives.push(Buffer.concat(chunks));
        },
        startContainer: async () => {
          events.push('start');
          output.end();
        },
        waitContainer: async () => 0,
      });
    let delivered = false;
    const pending: PendingShip = {
      manifestVolume: 'v-manifest',
      get delivered() {
        return delivered;
      },
      async write(tar, targetOf) {
        const at = targetOf('v')!.slice(1);
        await tar.file({ name: `${at}/src/app.js`, type: 'file', mode: 0o644, uid: 1000, gid: 1000, mtime: 0 }, Buffer.from('x'));
        await tar.file(
          { name: `${targetOf('v-manifest')!.slice(1)}/generation`, type: 'file', mode: 0o600, uid: 0, gid: 0, mtime: 0 },
          Buffer.from('g'),
        );
      },
      async done() {
        events.push('done');
        delivered = true;
        return { files: 1, sentFiles: 1, sentBytes: 1, removed: 0, sent: [['src/app.js']], missing: [], previousFrom: 'this machine' };
      },
      release: async () => undefined,
    };
    const shipped: number[] = [];
    const ship = { pending, onShipped: (result: ShipResult) => void shipped.push(result.sentFiles) };
    const mounts = [
      { type: 'volume' as const, source: 'v', target: '/tmp/proj', readOnly: false },
      { type: 'volume' as const, source: 'v-manifest', target: '/.werf-run-ship', readOnly: false },
    ];
    const files = [{ path: '/home/build/.kube/config', content: Buffer.from('k'), mode: 0o600, uid: 1000, gid: 1000 }];
    const run = () =>
      runAttempt({
        engine: engineFor(new PassThrough()),
        spec: { ...spec, mounts },
        io: sinks(),
        watch: () => undefined,
        timings,
        files: { files, keptDirs: ['/home/build'], ship },
      });
    await run();
    expect(events).toEqual(['create', 'put /', 'done', 'start']);
    expect(shipped).toEqual([1]);
    expect(await listTar(archives[0]!)).toEqual([
      'file tmp/proj/src/app.js 644 1000:1000 x',
      'file .werf-run-ship/generation 600 0:0 g',
      'directory home/build/.kube 700 1000:1000',
      'file home/build/.kube/config 600 1000:1000 k',
    ]);
    // Recovery's next attempt: the volumes hold the ship already; only werf's files go.
    await run();
    expect(events.slice(4)).toEqual(['create', 'put /', 'start']);
    expect(await listTar(archives[1]!)).toEqual([
      'directory home/build/.kube 700 1000:1000',
      'file home/build/.kube/config 600 1000:1000 k',
    ]);
  });

  it('uploads nothing when there are no files, and removes the container when the upload fails', async () => {
    const output = new PassThrough();
    let puts = 0;
    const quiet = attemptEngine({
      output,
      putArchive: async () => void puts++,
      startContainer: async () => void output.end(),
      waitContainer: async () => 0,
    });
    await runAttempt({ engine: quiet, spec, io: sinks(), watch: () => undefined, timings });
    expect(puts).toBe(0);
    const failing = attemptEngine({
      output: new PassThrough(),
      putArchive: async () => {
        throw new Error('no space left');
      },
    });
    const files = { files: [{ path: '/tmp/f', content: Buffer.from('x'), mode: 0o600, uid: 1, gid: 1 }], keptDirs: ['/tmp'] };
    await expect(runAttempt({ engine: failing, spec, io: sinks(), watch: () => undefined, timings, files })).rejects.toThrow(
      /no space left/,
    );
    expect(failing.removed).toEqual(['c0ffee']);
  });
});

/** A clock the test moves: timers fire only when it advances past them. */
function manualClock() {
  let now = 0;
  let timers: { at: number; every?: number; callback: () => void }[] = [];
  const add = (callback: () => void, ms: number, every?: number) => {
    const timer = { at: now + ms, every, callback };
    timers.push(timer);
    return () => void (timers = timers.filter((t) => t !== timer));
  };
  return {
    now: () => now,
    setTimeout: (callback: () => void, ms: number) => add(callback, ms),
    setInterval: (callback: () => void, ms: number) => add(callback, ms, ms),
    pending: () => timers.length,
    advance(ms: number): void {
      now += ms;
      for (const timer of timers.filter((t) => t.at <= now)) {
        if (timer.every) timer.at = now + timer.every;
        else timers = timers.filter((t) => t !== timer);
        timer.callback();
      }
    },
  };
}

describe('runAttempt on an injected clock', () => {
  const slow = { watchIntervalMs: 3000, pingTimeoutMs: 3000, outputIdleMs: 5000 };

  it("gives up on a silent output after the clock's idle time, without waiting for it", async () => {
    const output = new PassThrough();
    const warnings: string[] = [];
    const clock = manualClock();
    const engine = attemptEngine({ output, waitContainer: async () => 0 });
    const running = runAttempt({
      engine,
      spec,
      io: sinks(),
      watch: () => undefined,
      hooks: { onWarning: (m) => warnings.push(m) },
      timings: slow,
      clock,
    });
    await vi.waitFor(() => expect(clock.pending()).toBe(1));
    clock.advance(4000);
    expect(warnings).toEqual([]);
    clock.advance(1200);
    expect((await running).exitCode).toBe(0);
    expect(warnings.join()).toMatch(/did not end 5000 ms after the container stopped/);
    expect(clock.pending()).toBe(0);
    expect(engine.removed).toEqual(['c0ffee']);
  });

  it('pings the engine every watch interval once the output ended, and stops when it does not answer', async () => {
    const output = new PassThrough();
    const clock = manualClock();
    let pings = 0;
    const engine = attemptEngine({
      output,
      ping: async () => {
        if (++pings === 2) throw new Error('connect ENOENT /fake.sock');
      },
    });
    output.end();
    const running = runAttempt({ engine, spec, io: sinks(), watch: () => undefined, timings: slow, clock });
    const outcome = expect(running).rejects.toThrow(/lost the Docker Engine at unix:\/\/\/fake.sock/);
    await vi.waitFor(() => expect(clock.pending()).toBe(1));
    clock.advance(2999);
    expect(pings).toBe(0);
    clock.advance(1);
    await vi.waitFor(() => expect(pings).toBe(1));
    await vi.waitFor(() => expect(clock.pending()).toBe(1));
    clock.advance(3000);
    await outcome;
    expect(pings).toBe(2);
    expect(clock.pending()).toBe(0);
    expect(engine.removed).toEqual(['c0ffee']);
  });
});

describe('runAttempt with a gate (the probe in werf’s container)', () => {
  function errFrame(text: string): Buffer {
    const f = frame(text);
    f[0] = 2;
    return f;
  }
  const gated = { ...spec, openStdin: true };

  async function gatedRun(answer: 'go' | 'stop', forwardStdin: boolean, userStdin?: PassThrough) {
    const output = new PassThrough();
    const input = new PassThrough();
    let finish: (code: number) => void = () => undefined;
    const engine = attemptEngine({
      output,
      attachContainer: async () => ({ output, multiplexed: true, input }),
      waitContainer: () => new Promise<number>((resolve) => (finish = resolve)),
    });
    const io = { ...sinks(), ...(userStdin ? { stdin: userStdin } : {}) };
    const seen: { lines: string[]; complete: boolean }[] = [];
    const watched: string[] = [];
    const decide = (lines: string[], complete: boolean) => {
      seen.push({ lines, complete });
      return answer;
    };
    const running = runAttempt({
      engine,
      spec: gated,
      io,
      watch: (line) => {
        watched.push(line);
        return undefined;
      },
      timings,
      gate: { end: 'END', decide, forwardStdin, timeoutMs: 10_000 },
    });
    output.write(errFrame('probe> userns no unshare(CLONE_NEWUSER): Operation not permitted\nEN'));
    output.write(errFrame('D\nwerf starts\n'));
    output.write(frame('werf out\n'));
    await new Promise((r) => setTimeout(r, 20));
    userStdin?.end('user data\n');
    await new Promise((r) => setTimeout(r, 20));
    output.end();
    finish(0);
    const result = await running;
    const stderr = io.stderr.read()?.toString() ?? '';
    const sent = input.read()?.toString() ?? '';
    return { result, seen, watched, stderr, sent, inputEnded: input.writableEnded };
  }

  it('keeps the lines before the end line out of the output and the watcher, answers go, then forwards the user’s stdin', async () => {
    const run = await gatedRun('go', true, new PassThrough());
    expect(run.seen).toEqual([{ lines: ['probe> userns no unshare(CLONE_NEWUSER): Operation not permitted'], complete: true }]);
    expect(run.stderr).toBe('werf starts\n');
    expect(run.watched).not.toContain('probe> userns no unshare(CLONE_NEWUSER): Operation not permitted');
    expect(run.watched).toContain('werf starts');
    expect(run.sent).toBe('go\nuser data\n');
    expect(run.result.gate).toBe('go');
  });

  it('ends the container’s stdin after go when the plan had none', async () => {
    const run = await gatedRun('go', false);
    expect(run.sent).toBe('go\n');
    expect(run.inputEnded).toBe(true);
  });

  it('answers stop and says so in the result', async () => {
    const run = await gatedRun('stop', true, new PassThrough());
    expect(run.sent).toBe('stop\n');
    expect(run.result.gate).toBe('stop');
  });

  it('calls a container that ends before the end line incomplete', async () => {
    const output = new PassThrough();
    const engine = attemptEngine({
      output,
      attachContainer: async () => ({ output, multiplexed: true, input: new PassThrough() }),
      waitContainer: async () => 2,
    });
    const seen: boolean[] = [];
    output.end(errFrame('probe> half\n'));
    const result = await runAttempt({
      engine,
      spec: gated,
      io: sinks(),
      watch: () => undefined,
      timings,
      gate: { end: 'END', decide: (_l, complete) => (seen.push(complete), 'go'), forwardStdin: false, timeoutMs: 10_000 },
    });
    expect(seen).toEqual([false]);
    expect(result).toMatchObject({ gate: 'incomplete', exitCode: 2 });
  });

  it('refuses a gate on a container without an open stdin', async () => {
    const engine = attemptEngine({ output: new PassThrough() });
    const gate = { end: 'END', decide: () => 'go' as const, forwardStdin: false, timeoutMs: 1 };
    await expect(runAttempt({ engine, spec, io: sinks(), watch: () => undefined, gate })).rejects.toThrow(/open stdin/);
  });
});
