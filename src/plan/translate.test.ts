import { describe, expect, it } from 'vitest';
import { ownContainerId, translatePath, type ContainerMount } from './translate.js';

const bind = (source: string, destination: string): ContainerMount => ({ type: 'bind', source, destination });

describe('translatePath', () => {
  it.each([
    [
      'GitLab socket binding: /builds shared from the runner host',
      '/builds/group/app',
      [bind('/srv/gitlab-runner/builds', '/builds'), bind('/var/run/docker.sock', '/var/run/docker.sock')],
      '/srv/gitlab-runner/builds/group/app',
    ],
    [
      'a devcontainer: the workspace mounted at another path',
      '/workspaces/app/sub',
      [bind('/home/me/src/app', '/workspaces/app')],
      '/home/me/src/app/sub',
    ],
    [
      'the longest destination wins (a nested mount)',
      '/work/app/.git',
      [bind('/h/work', '/work'), bind('/h/git/app', '/work/app/.git')],
      '/h/git/app',
    ],
    [
      'a named volume: its _data dir on the daemon host',
      '/cache/app',
      [{ type: 'volume', source: '/var/lib/docker/volumes/ci/_data', destination: '/cache' }],
      '/var/lib/docker/volumes/ci/_data/app',
    ],
    ['the mount point itself', '/builds', [bind('/srv/b', '/builds')], '/srv/b'],
    ['a ..dots dir under the mount is inside it', '/builds/..dots', [bind('/srv/b', '/builds')], '/srv/b/..dots'],
    ['a sibling with a common prefix is not covered', '/builds2/app', [bind('/srv/b', '/builds')], undefined],
    ["in the container's own filesystem: no mount covers it", '/root/app', [bind('/srv/b', '/builds')], undefined],
    ['a tmpfs does not count', '/tmp/app', [{ type: 'tmpfs', source: '', destination: '/tmp' }], undefined],
  ])('%s', (_what, dir, mounts, expected) => {
    expect(translatePath(dir, mounts)).toBe(expected);
  });
});

describe('ownContainerId', () => {
  const id = 'a'.repeat(64);
  it("reads Docker's hostname mount from mountinfo (cgroup v1 and v2)", () => {
    const mountinfo = `712 700 8:1 /var/lib/docker/containers/${id}/hostname /etc/hostname rw,relatime - ext4 /dev/sda1 rw\n`;
    expect(ownContainerId(mountinfo, '0::/\n')).toBe(id);
  });
  it("reads Podman's userdata mounts", () => {
    expect(ownContainerId(`1 2 0:3 /containers/storage/overlay-containers/${id}/userdata/hosts /etc/hosts rw - tmpfs tmpfs rw\n`, '')).toBe(
      id,
    );
  });
  it('falls back to cgroup v1 paths', () => {
    expect(ownContainerId('', `12:memory:/docker/${id}\n`)).toBe(id);
    expect(ownContainerId('', `0::/system.slice/docker-${id}.scope\n`)).toBe(id);
  });
  it('is undefined on a host', () => {
    expect(ownContainerId('22 1 8:1 / / rw - ext4 /dev/sda1 rw\n', '0::/user.slice\n')).toBeUndefined();
  });
});
