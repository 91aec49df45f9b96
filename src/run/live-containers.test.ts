import { describe, expect, it } from 'vitest';
import type { ContainerSpec, Engine } from '../engine/port.js';
import { fakeEngine } from '../../test/fakes.js';
import { LiveContainers, trackingEngine } from './live-containers.js';

/** An engine that logs what is created (with its labels) and removed. */
function loggingFake(log: string[]): Engine {
  let n = 0;
  return fakeEngine({
    async createContainer(spec: ContainerSpec) {
      log.push(`create ${JSON.stringify(spec.labels)}`);
      return `c${++n}`;
    },
    async removeContainer(id: string) {
      log.push(`remove ${id}`);
    },
  });
}

const spec = {
  image: 'i',
  cmd: [],
  env: [],
  labels: { mine: 'x' },
  tty: false,
  openStdin: false,
  mounts: [],
  securityOpt: [],
  devices: [],
  privileged: false,
} satisfies ContainerSpec;
const owner = { host: 'h', pid: 7, startedAt: '2026-01-01T00:00:00.000Z', processStart: '99' };

describe('trackingEngine', () => {
  it('labels every container with its owner and tracks it until removed', async () => {
    const log: string[] = [];
    const live = new LiveContainers();
    const engine = trackingEngine(loggingFake(log), live, owner);
    const id = await engine.createContainer(spec);
    expect(JSON.parse(log[0]!.slice('create '.length))).toEqual({
      mine: 'x',
      'werf-run.managed': 'true',
      'werf-run.owner-host': 'h',
      'werf-run.owner-pid': '7',
      'werf-run.started-at': '2026-01-01T00:00:00.000Z',
      'werf-run.owner-start': '99',
    });
    expect(live.list()).toEqual([id]);
    await engine.removeContainer(id);
    expect(live.list()).toEqual([]);
  });

  it('refuses to create once closed, and removes what is created after closing', async () => {
    const log: string[] = [];
    const live = new LiveContainers();
    const inner = loggingFake(log);
    const engine = trackingEngine(
      {
        ...inner,
        createContainer: async (s) => {
          live.close('interrupted by SIGINT');
          return inner.createContainer(s);
        },
      },
      live,
      owner,
    );
    await expect(engine.createContainer(spec)).rejects.toThrow(/interrupted by SIGINT/);
    expect(log.at(-1)).toBe('remove c1');
    expect(live.list()).toEqual([]);
    await expect(engine.createContainer(spec)).rejects.toThrow(/not creating a container: interrupted by SIGINT/);
  });
});

describe('LiveContainers.removeAll', () => {
  const failing = { removeContainer: () => Promise.reject(new Error('engine gone')) };

  it('reports a container it cannot remove once, however often it retries', async () => {
    const live = new LiveContainers();
    live.add('c1');
    const said: string[] = [];
    await live.removeAll(failing, (id) => said.push(id));
    await live.removeAll(failing, (id) => said.push(id));
    expect(said).toEqual(['c1']);
    expect(live.list()).toEqual(['c1']);
  });

  it('does not report again what the attempt already reported', async () => {
    const live = new LiveContainers();
    live.add('c1');
    live.add('c2');
    live.markReported('c1');
    const said: string[] = [];
    await live.removeAll(failing, (id) => said.push(id));
    expect(said).toEqual(['c2']);
  });
});
