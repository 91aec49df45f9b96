import { describe, expect, it } from 'vitest';
import type { ContainerSpec, Engine } from '../engine/port.js';
import { LiveContainers, trackingEngine } from './live-containers.js';

function fakeEngine(log: string[]): Engine {
  let n = 0;
  const no = () => Promise.reject(new Error('not in this test'));
  return {
    endpoint: { url: 'unix:///fake', source: 'test' },
    ping: no, info: no, inspectImage: no, pullImage: no, attachContainer: no, startContainer: no, waitContainer: no,
    killContainer: no, listContainers: no, resizeContainerTty: no, inspectContainer: no, putArchive: no, getArchive: no,
    async createContainer(spec: ContainerSpec) {
      log.push(`create ${JSON.stringify(spec.labels)}`);
      return `c${++n}`;
    },
    async removeContainer(id: string) {
      log.push(`remove ${id}`);
    },
  };
}

const spec = { image: 'i', cmd: [], env: [], labels: { mine: 'x' }, tty: false, openStdin: false, mounts: [], securityOpt: [], devices: [], privileged: false } satisfies ContainerSpec;
const owner = { host: 'h', pid: 7, startedAt: '2026-01-01T00:00:00.000Z', processStart: '99' };

describe('trackingEngine', () => {
  it('labels every container with its owner and tracks it until removed', async () => {
    const log: string[] = [];
    const live = new LiveContainers();
    const engine = trackingEngine(fakeEngine(log), live, owner);
    const id = await engine.createContainer(spec);
    expect(JSON.parse(log[0]!.slice('create '.length))).toEqual({
      mine: 'x', 'werf-run.managed': 'true', 'werf-run.owner-host': 'h', 'werf-run.owner-pid': '7',
      'werf-run.started-at': '2026-01-01T00:00:00.000Z', 'werf-run.owner-start': '99',
    });
    expect(live.list()).toEqual([id]);
    await engine.removeContainer(id);
    expect(live.list()).toEqual([]);
  });

  it('refuses to create once closed, and removes what is created after closing', async () => {
    const log: string[] = [];
    const live = new LiveContainers();
    const inner = fakeEngine(log);
    const engine = trackingEngine({ ...inner, createContainer: async (s) => { live.close('interrupted by SIGINT'); return inner.createContainer(s); } }, live, owner);
    await expect(engine.createContainer(spec)).rejects.toThrow(/interrupted by SIGINT/);
    expect(log.at(-1)).toBe('remove c1');
    expect(live.list()).toEqual([]);
    await expect(engine.createContainer(spec)).rejects.toThrow(/not creating a container: interrupted by SIGINT/);
  });
});
