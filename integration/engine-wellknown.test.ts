/**
 * The well-known sockets, for real, as an ordinary user (uid 65534, no docker
 * group) with no DOCKER_HOST, no context and a HOME of the test's own: the rig's
 * /var/run/docker.sock refuses this user, so werf-run must go on to the next
 * well-known socket, and with none usable say what it tried and why.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSecondDockerd, type StartedEngine } from './engines.js';
import { BIN } from './support.js';

const NOBODY = 65534;

/** werf-run as uid/gid 65534 with no supplementary groups, HOME as given, and nothing else from the environment. */
function runAsNobody(args: string[], home: string) {
  return execa('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'node', BIN, ...args], {
    cwd: home,
    env: { PATH: process.env.PATH, HOME: home },
    extendEnv: false,
    reject: false,
    input: '',
    timeout: 120_000,
  });
}

describe('the well-known sockets, as a user outside the docker group', () => {
  let home: string;

  beforeAll(() => {
    // The rig's socket must refuse other users, or this test proves nothing.
    const mode = statSync('/var/run/docker.sock').mode & 0o777;
    expect(mode & 0o006, `/var/run/docker.sock is mode ${mode.toString(8)}`).toBe(0);
    home = mkdtempSync(path.join(os.tmpdir(), 'wr-home-'));
    chmodSync(home, 0o777);
  });
  afterAll(() => {
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('with no usable socket, lists every well-known socket with its reason and says to join the docker group (exit 125)', async () => {
    const result = await runAsNobody(['version'], home);
    expect(result.exitCode).toBe(125);
    const stderr = String(result.stderr);
    expect(stderr).toContain('nothing chose one');
    expect(stderr).toContain('unix:///var/run/docker.sock (from well-known socket: the default Docker socket): permission denied (EACCES)');
    expect(stderr).toContain(`unix://${home}/.docker/run/docker.sock (from well-known socket: Docker Desktop): no such socket (ENOENT)`);
    expect(stderr).toContain(`unix://${home}/.colima/default/docker.sock (from well-known socket: Colima): no such socket (ENOENT)`);
    expect(stderr).toContain('fix: join the docker group');
  });

  describe('with an engine on the Docker Desktop socket', () => {
    let desktop: StartedEngine;
    beforeAll(async () => {
      const runDir = path.join(home, '.docker', 'run');
      mkdirSync(runDir, { recursive: true });
      for (const dir of [path.join(home, '.docker'), runDir]) chmodSync(dir, 0o755);
      desktop = await startSecondDockerd({ socketPath: path.join(runDir, 'docker.sock') });
      // This engine is the test's own: let the test user in.
      chmodSync(path.join(runDir, 'docker.sock'), 0o666);
    });
    afterAll(async () => {
      await desktop?.stop();
    });

    it('goes past the refused default socket to the next one that answers', async () => {
      const result = await runAsNobody(['--verbose', '--dry-run', 'version'], home);
      expect(result.exitCode, String(result.stderr)).toBe(0);
      expect(String(result.stderr)).toContain(`engine: unix://${home}/.docker/run/docker.sock (from well-known socket: Docker Desktop)`);
    });
  });
});
