import { describe, expect, it } from 'vitest';
import type { Engine } from '../engine/port.js';
import { ownContainer } from './own-container.js';

const id = 'b'.repeat(64);
const engineKnowing = (known: string): Engine =>
  ({ containerMounts: async (name: string) => (name === known ? [{ type: 'bind', source: '/srv/b', destination: '/builds' }] : undefined) }) as unknown as Engine;

describe('ownContainer', () => {
  it('finds werf-run\'s container by the id in mountinfo, and asks the engine for its mounts', async () => {
    const mountinfo = `1 2 8:1 /var/lib/docker/containers/${id}/hosts /etc/hosts rw - ext4 /dev/sda1 rw\n`;
    expect(await ownContainer(engineKnowing(id), { mountinfo, hostname: 'x' })).toEqual({ id, mounts: [{ type: 'bind', source: '/srv/b', destination: '/builds' }] });
  });
  it('falls back to a hostname that looks like a short container id', async () => {
    expect(await ownContainer(engineKnowing('bbbbbbbbbbbb'), { hostname: 'bbbbbbbbbbbb' })).toMatchObject({ id: 'bbbbbbbbbbbb' });
  });
  it('is undefined on a host, or for a container this engine does not know', async () => {
    expect(await ownContainer(engineKnowing(id), { hostname: 'build-host' })).toBeUndefined();
    expect(await ownContainer(engineKnowing('other'), { mountinfo: `/containers/${id}/hostname`, hostname: 'vm' })).toBeUndefined();
  });
});
