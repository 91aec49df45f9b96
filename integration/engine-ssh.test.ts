/**
 * DOCKER_HOST=ssh://... for real: an sshd of this test's own on 127.0.0.1 whose
 * `docker system dial-stdio` reaches the rig's engine, an ssh-agent with a
 * throwaway key, and the system ssh client that werf-run runs (as the docker
 * CLI does). OpenSSH reads ~/.ssh from the passwd entry, not from $HOME, so
 * each case puts an `ssh` on the PATH that runs the real /usr/bin/ssh with an
 * ssh_config of the case's own (known_hosts, identity file, host aliases): the
 * user's ~/.ssh is never read or written.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startSecondDockerd } from './engines.js';
import { makeKey, startSshd, type StartedSshd } from './sshd.js';
import { runWerfRun, werfProject } from './support.js';

describe('a Docker Engine over ssh://', () => {
  let sshd: StartedSshd;
  let project: ReturnType<typeof werfProject>;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wr-ssh-'));
    sshd = await startSshd();
    project = werfProject({ app: 'FROM 127.0.0.1:5000/library/busybox:latest\nRUN echo built over ssh\n' });
  });
  afterAll(async () => {
    const results = await Promise.allSettled([sshd?.stop(), project?.cleanup()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  });

  /**
   * A client side of its own: known_hosts text, an optional private key as the
   * identity file, and more ssh_config lines; returns the PATH entry whose
   * `ssh` uses them (and HOME, for the docker CLI config).
   */
  function client(name: string, files: { knownHosts?: string; key?: string; config?: string[] }): { HOME: string; PATH: string } {
    const h = path.join(dir, name);
    mkdirSync(path.join(h, '.ssh'), { recursive: true, mode: 0o700 });
    mkdirSync(path.join(h, 'bin'));
    const knownHosts = path.join(h, '.ssh', 'known_hosts');
    writeFileSync(knownHosts, files.knownHosts ?? '');
    const identity = path.join(h, '.ssh', 'id_ed25519');
    if (files.key) copyFileSync(files.key, identity);
    const config = path.join(h, '.ssh', 'config');
    writeFileSync(
      config,
      [
        ...(files.config ?? []),
        'Host *',
        `  UserKnownHostsFile ${knownHosts}`,
        '  GlobalKnownHostsFile /dev/null',
        `  IdentityFile ${identity}`,
        '',
      ].join('\n'),
    );
    const ssh = path.join(h, 'bin', 'ssh');
    writeFileSync(ssh, `#!/bin/sh\nexec /usr/bin/ssh -F '${config}' "$@"\n`);
    chmodSync(ssh, 0o755);
    return { HOME: h, PATH: `${path.join(h, 'bin')}:${process.env.PATH}` };
  }
  const env = (over: Record<string, string | undefined>) => ({
    DOCKER_CONFIG: path.join(dir, 'no-docker-config'),
    DOCKER_HOST: sshd.url,
    DOCKER_CONTEXT: undefined,
    SSH_AUTH_SOCK: undefined,
    ...over,
  });
  /** ssh processes of werf-run's still running for this port (there must be none after a run). */
  async function leftovers(port: number): Promise<string[]> {
    const { stdout } = await execa('ps', ['-eo', 'pid,args']);
    return stdout.split('\n').filter((l) => l.includes('/usr/bin/ssh') && l.includes(`-p ${port}`) && l.includes('werf-run-ssh-'));
  }
  const controlDirs = () => readdirSync(os.tmpdir()).filter((f) => f.startsWith('werf-run-ssh-'));

  it('the server runs the docker CLI for root on the PATH of its sessions (checked with the real ssh client)', async () => {
    const c = client('check', { knownHosts: `${sshd.knownHostsLine}\n` });
    const result = await execa(
      'ssh',
      ['-o', 'BatchMode=yes', '-p', String(sshd.port), 'root@127.0.0.1', 'command -v docker; docker version --format {{.Server.Version}}'],
      {
        env: { ...c, SSH_AUTH_SOCK: sshd.agentSocket },
        reject: false,
      },
    );
    expect(result.exitCode, result.stderr + sshd.log()).toBe(0);
    expect(result.stdout).toMatch(/^\/usr\/local\/bin\/docker\n20\./);
  });

  it('builds over ssh with the key in the ssh agent, over one ssh connection, and leaves no ssh process behind', async () => {
    const before = (sshd.log().match(/Accepted publickey for root/g) ?? []).length;
    const dirsBefore = controlDirs();
    const result = await runWerfRun(['--verbose', 'build'], {
      cwd: project.dir,
      env: env({ ...client('agent', { knownHosts: `${sshd.knownHostsLine}\n` }), SSH_AUTH_SOCK: sshd.agentSocket }),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`engine: ${sshd.url} (from DOCKER_HOST)`);
    expect(result.stdout + result.stderr).toContain('built over ssh');
    // The engine was reached through this sshd: one ssh connection (the agent's key let in once) ...
    const log = sshd.log();
    expect((log.match(/Accepted publickey for root/g) ?? []).length, log).toBe(before + 1);
    // ... carrying a dial-stdio session per API connection.
    expect(
      log
        .split('Accepted publickey for root')
        .at(-1)!
        .match(/Starting session: command/g)?.length ?? 0,
      log,
    ).toBeGreaterThan(5);
    // The master and its sessions ended with werf-run, and the control socket's dir is gone.
    expect(await leftovers(sshd.port)).toEqual([]);
    expect(controlDirs().filter((d) => !dirsBefore.includes(d))).toEqual([]);
  });

  it("without an agent, uses the identity file of the user's ssh config", async () => {
    const result = await runWerfRun(['--verbose', 'version'], {
      cwd: project.dir,
      env: env(client('keyfile', { knownHosts: `${sshd.knownHostsLine}\n`, key: sshd.clientKey })),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`engine: ${sshd.url} (from DOCKER_HOST)`);
    expect(result.stdout).toContain('test-rig stand-in for werf');
  });

  it('a host alias of ~/.ssh/config (HostName, Port, User) works as with `docker -H ssh://alias`', async () => {
    const c = client('alias', {
      knownHosts: `${sshd.knownHostsLine}\n`,
      config: [
        'Host wr-build-box',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        '  User root',
        `  HostKeyAlias [127.0.0.1]:${sshd.port}`,
      ],
    });
    const result = await runWerfRun(['--verbose', 'version'], {
      cwd: project.dir,
      env: env({ ...c, DOCKER_HOST: 'ssh://wr-build-box', SSH_AUTH_SOCK: sshd.agentSocket }),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('engine: ssh://wr-build-box (from DOCKER_HOST)');
    expect(result.stdout).toContain('test-rig stand-in for werf');
  });

  it('a key the server does not accept: one clear error naming the endpoint and the fix (exit 125)', async () => {
    const wrong = await makeKey(dir, 'wrong_ed25519');
    const result = await runWerfRun(['version'], {
      cwd: project.dir,
      env: env(client('wrong', { knownHosts: `${sshd.knownHostsLine}\n`, key: wrong })),
    });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(
      `${sshd.url} (from DOCKER_HOST): ssh authentication as root on [127.0.0.1]:${sshd.port} failed (root@127.0.0.1: Permission denied (publickey).); ssh offered only the key files of your ssh config (SSH_AUTH_SOCK is not set: no agent)`,
    );
    expect(result.stderr).toContain('ssh-add');
    expect(result.stderr).toContain(`ssh -p ${sshd.port} root@127.0.0.1 docker version`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });

  it('no agent and no key: the authentication failure says there is no agent (exit 125)', async () => {
    const result = await runWerfRun(['version'], {
      cwd: project.dir,
      env: env(client('nokey', { knownHosts: `${sshd.knownHostsLine}\n` })),
    });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(`${sshd.url} (from DOCKER_HOST): ssh authentication as root on [127.0.0.1]:${sshd.port} failed`);
    expect(result.stderr).toContain('SSH_AUTH_SOCK is not set: no agent');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a host without the docker CLI on the PATH of ssh sessions: the remote error and the fix (exit 125)', async () => {
    const result = await runWerfRun(['version'], {
      cwd: project.dir,
      env: env(client('nodocker', { knownHosts: `${sshd.knownHostsLine}\n`, key: sshd.noDockerKey })),
    });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toMatch(/on 127\.0\.0\.1, `docker system dial-stdio` failed \(exit 127\): .*docker: (command )?not found/);
    expect(result.stderr).toContain(
      'fix: install the docker CLI on 127.0.0.1 and make sure it is on the PATH of non-interactive ssh sessions',
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a host whose docker CLI finds no engine: the remote error and the fix (exit 125)', async () => {
    const result = await runWerfRun(['version'], {
      cwd: project.dir,
      env: env(client('noengine', { knownHosts: `${sshd.knownHostsLine}\n`, key: sshd.noEngineKey })),
    });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toMatch(
      /on 127\.0\.0\.1, `docker system dial-stdio` failed \(exit 1\): failed to open the raw stream connection: dial unix .*no-engine\.sock/,
    );
    expect(result.stderr).toContain('fix: start the Docker Engine on 127.0.0.1');
  });

  it('an unknown host key is refused, with the ssh command that checks and records it (exit 125)', async () => {
    const result = await runWerfRun(['version'], {
      cwd: project.dir,
      env: env({ ...client('unknown', {}), SSH_AUTH_SOCK: sshd.agentSocket }),
    });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(
      `the ssh host key of [127.0.0.1]:${sshd.port} is not in known_hosts and ssh could not ask about it (Host key verification failed)`,
    );
    expect(result.stderr).toContain(`ssh -p ${sshd.port} root@127.0.0.1 docker version`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a changed host key is refused as ssh refuses it (exit 125)', async () => {
    const other = await makeKey(dir, 'other_host_ed25519');
    const { stdout } = await execa('cat', [`${other}.pub`]);
    const [type, key] = stdout.trim().split(/\s+/);
    const c = client('changed', { knownHosts: `[127.0.0.1]:${sshd.port} ${type} ${key}\n` });
    const result = await runWerfRun(['version'], { cwd: project.dir, env: env({ ...c, SSH_AUTH_SOCK: sshd.agentSocket }) });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(
      `the ssh host key of [127.0.0.1]:${sshd.port} (ED25519) differs from the one in ${path.join(c.HOME, '.ssh', 'known_hosts')}`,
    );
    expect(result.stderr).toContain(`ssh-keygen -R '[127.0.0.1]:${sshd.port}'`);
  });

  it('a server that never completes the ssh handshake: the ping timeout ends the run (exit 125), nothing hangs or stays', async () => {
    const port = await freePort();
    // Accepts TCP and says nothing: the handshake never starts.
    const accepted: net.Socket[] = [];
    const silent = net.createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    try {
      const result = await runWerfRun(['version'], {
        cwd: project.dir,
        env: env({ ...client('silent', {}), DOCKER_HOST: `ssh://root@127.0.0.1:${port}`, SSH_AUTH_SOCK: sshd.agentSocket }),
        timeoutMs: 90_000,
      });
      expect(result.signal, 'werf-run was killed by the test timeout: it hung').toBeUndefined();
      expect(result.exitCode).toBe(125);
      expect(accepted.length, 'werf-run connected to the silent server').toBeGreaterThan(0);
      expect(result.stderr).toContain(`ssh://root@127.0.0.1:${port} (from DOCKER_HOST): no answer within 5000 ms`);
      expect(await leftovers(port)).toEqual([]);
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('a server that is not an ssh server: the failed handshake is named (exit 125)', async () => {
    const port = await freePort();
    const accepted: net.Socket[] = [];
    const notSsh = net.createServer((socket) => {
      accepted.push(socket);
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    await new Promise<void>((resolve) => notSsh.listen(port, '127.0.0.1', resolve));
    try {
      const result = await runWerfRun(['version'], {
        cwd: project.dir,
        env: env({ ...client('notssh', {}), DOCKER_HOST: `ssh://root@127.0.0.1:${port}`, SSH_AUTH_SOCK: sshd.agentSocket }),
      });
      expect(result.exitCode).toBe(125);
      expect(result.stderr).toContain(
        `ssh://root@127.0.0.1:${port} (from DOCKER_HOST): the ssh handshake with [127.0.0.1]:${port} failed: kex_exchange_identification`,
      );
      expect(result.stderr).toContain(`fix: check that it is an ssh server (ssh -p ${port} root@127.0.0.1 docker version)`);
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => notSsh.close(resolve));
    }
  });

  it('nothing listening on the ssh port: names the ssh server, not a Docker daemon (exit 125)', async () => {
    const port = await freePort();
    const result = await runWerfRun(['version'], {
      cwd: project.dir,
      env: env({ ...client('refused', {}), DOCKER_HOST: `ssh://root@127.0.0.1:${port}`, SSH_AUTH_SOCK: sshd.agentSocket }),
    });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(
      `cannot reach the ssh server at [127.0.0.1]:${port}: connection refused (ECONNREFUSED): no ssh server listens there`,
    );
    expect(result.stderr).toContain(
      `fix: check the host and port of the endpoint and that sshd runs there (ssh -p ${port} root@127.0.0.1 docker version)`,
    );
  });

  it('no ssh client on the PATH: says so, with the fix (exit 125)', async () => {
    const bare = path.join(dir, 'bare-bin');
    mkdirSync(bare, { recursive: true });
    // Only node (to start werf-run) on the PATH.
    if (!existsSync(path.join(bare, 'node'))) symlinkSync(process.execPath, path.join(bare, 'node'));
    const result = await runWerfRun(['version'], { cwd: project.dir, env: env({ PATH: bare, SSH_AUTH_SOCK: sshd.agentSocket }) });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(`${sshd.url} (from DOCKER_HOST): cannot run the ssh client (ssh): it is not on the PATH`);
    expect(result.stderr).toContain('install the OpenSSH client');
  });

  it('a docker context with an ssh host, made with the real docker CLI', async () => {
    const config = path.join(dir, 'docker-config');
    await execa('docker', ['context', 'create', 'wr-ssh', '--docker', `host=${sshd.url}`], { env: { DOCKER_CONFIG: config } });
    const result = await runWerfRun(['--verbose', 'version'], {
      cwd: project.dir,
      env: env({
        ...client('context', { knownHosts: `${sshd.knownHostsLine}\n` }),
        DOCKER_HOST: undefined,
        DOCKER_CONFIG: config,
        DOCKER_CONTEXT: 'wr-ssh',
        SSH_AUTH_SOCK: sshd.agentSocket,
      }),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`engine: ${sshd.url} (from docker context "wr-ssh" (DOCKER_CONTEXT))`);
    expect(result.stdout).toContain('test-rig stand-in for werf');
    expect(existsSync(config)).toBe(true);
  });

  it('ssh://host/path reaches the engine at that path on the remote host (docker --host=unix://<path> system dial-stdio), as the docker CLI does', async () => {
    const second = await startSecondDockerd();
    try {
      const socketPath = second.socketUrl.replace(/^unix:\/\//, '');
      const url = `${sshd.url}${socketPath}`;
      const c = client('path', { knownHosts: `${sshd.knownHostsLine}\n` });
      const oracle = await execa('docker', ['-H', url, 'info', '--format', '{{.DockerRootDir}}'], {
        env: { ...c, SSH_AUTH_SOCK: sshd.agentSocket, DOCKER_CONFIG: path.join(dir, 'no-docker-config') },
        reject: false,
      });
      expect(oracle.exitCode, oracle.stderr).toBe(0);
      expect(oracle.stdout.trim()).toBe(path.join(second.dir, 'data'));
      // A loaded machine (other sessions' suites) can take seconds for the ssh handshake: the ping may wait.
      const result = await runWerfRun(['--verbose', '--dry-run', 'version'], {
        cwd: project.dir,
        env: env({ ...c, DOCKER_HOST: url, SSH_AUTH_SOCK: sshd.agentSocket, WERF_RUN_ENGINE_TIMEOUT_MS: '30000' }),
      });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr).toContain(`engine: ${url} (from DOCKER_HOST)`);
      // The daemon's own /info: the second engine's root dir, not the rig's (which dial-stdio without the path reaches).
      expect(result.stderr).toContain(`, root ${oracle.stdout.trim()}`);
      expect(await leftovers(sshd.port)).toEqual([]);

      // A path where no engine listens: the remote command's failure, naming the path.
      const missing = `${sshd.url}${path.join(second.dir, 'nothing.sock')}`;
      const failed = await runWerfRun(['version'], {
        cwd: project.dir,
        env: env({ ...c, DOCKER_HOST: missing, SSH_AUTH_SOCK: sshd.agentSocket, WERF_RUN_ENGINE_TIMEOUT_MS: '30000' }),
      });
      expect(failed.exitCode).toBe(125);
      expect(failed.stderr).toContain(`\`docker --host=unix://${path.join(second.dir, 'nothing.sock')} system dial-stdio\` failed`);
      expect(failed.stderr).toContain(`docker --host=unix://${path.join(second.dir, 'nothing.sock')} version`);
    } finally {
      await second.stop();
    }
  }, 180_000);
});
