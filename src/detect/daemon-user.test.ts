import { describe, expect, it } from 'vitest';
import { daemonUserOf } from './daemon-user.js';

describe('daemonUserOf', () => {
  const alice = { uid: 1000, username: 'alice' };
  it('names this user when the socket is in its runtime dir', () => {
    expect(daemonUserOf('unix:///run/user/1000/docker.sock', alice)).toBe('alice');
    expect(daemonUserOf('unix:///run/user/1000/podman/podman.sock', alice)).toBe('alice');
  });
  it("says nothing for another user's socket, the system socket or a remote engine", () => {
    expect(daemonUserOf('unix:///run/user/1001/docker.sock', alice)).toBeUndefined();
    expect(daemonUserOf('unix:///var/run/docker.sock', alice)).toBeUndefined();
    expect(daemonUserOf('ssh://alice@build', alice)).toBeUndefined();
  });
});
