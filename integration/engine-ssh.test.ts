/**
 * DOCKER_HOST=ssh://... for real: an sshd of this test's own on 127.0.0.1 whose
 * `docker system dial-stdio` reaches the rig's engine, an ssh-agent with a
 * throwaway key, and a HOME of the test's own (known_hosts, key files), so the
 * user's ~/.ssh is never read or written.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './engines.js';
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

  /** A HOME with the given ~/.ssh files: known_hosts text, and private keys as [name, file]. */
  function home(name: string, files: { knownHosts?: string; keys?: [string, string][] }): string {
    const h = path.join(dir, name);
    mkdirSync(path.join(h, '.ssh'), { recursive: true, mode: 0o700 });
    if (files.knownHosts !== undefined) writeFileSync(path.join(h, '.ssh', 'known_hosts'), files.knownHosts);
    for (const [base, file] of files.keys ?? []) copyFileSync(file, path.join(h, '.ssh', base));
    return h;
  }
  const env = (over: Record<string, string | undefined>) => ({
    DOCKER_CONFIG: path.join(dir, 'no-docker-config'),
    DOCKER_HOST: sshd.url,
    DOCKER_CONTEXT: undefined,
    SSH_AUTH_SOCK: undefined,
    ...over,
  });

  it('the server runs the docker CLI for root on the PATH of its sessions (checked with the real ssh client)', async () => {
    const knownHosts = path.join(dir, 'client_known_hosts');
    writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
    const result = await execa(
      'ssh',
      ['-F', '/dev/null', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'BatchMode=yes', '-p', String(sshd.port), 'root@127.0.0.1', 'command -v docker; docker version --format {{.Server.Version}}'],
      { env: { SSH_AUTH_SOCK: sshd.agentSocket }, reject: false },
    );
    expect(result.exitCode, result.stderr + sshd.log()).toBe(0);
    expect(result.stdout).toMatch(/^\/usr\/local\/bin\/docker\n20\./);
  });

  it('builds over ssh with the key in the ssh agent, the host key checked against known_hosts', async () => {
    const before = (sshd.log().match(/Accepted publickey for root/g) ?? []).length;
    const result = await runWerfRun(['--verbose', 'build'], {
      cwd: project.dir,
      env: env({ HOME: home('agent', { knownHosts: `${sshd.knownHostsLine}\n` }), SSH_AUTH_SOCK: sshd.agentSocket }),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`engine: ${sshd.url} (from DOCKER_HOST)`);
    expect(result.stdout + result.stderr).toContain('built over ssh');
    // The engine was reached through this sshd: one ssh connection (the agent's key let in once) ...
    const log = sshd.log();
    expect((log.match(/Accepted publickey for root/g) ?? []).length, log).toBe(before + 1);
    // ... carrying a dial-stdio session per API connection.
    expect(log.split('Accepted publickey for root').at(-1)!.match(/Starting session: command/g)?.length ?? 0, log).toBeGreaterThan(5);
  });

  it('without an agent, uses ~/.ssh/id_ed25519 as ssh does', async () => {
    const result = await runWerfRun(['--verbose', 'version'], {
      cwd: project.dir,
      env: env({ HOME: home('keyfile', { knownHosts: `${sshd.knownHostsLine}\n`, keys: [['id_ed25519', sshd.clientKey]] }) }),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`engine: ${sshd.url} (from DOCKER_HOST)`);
    expect(result.stdout).toContain('test-rig stand-in for werf');
  });

  it('a key the server does not accept: one clear error naming the endpoint and the fix (exit 125)', async () => {
    const wrong = await makeKey(dir, 'wrong_ed25519');
    const h = home('wrong', { knownHosts: `${sshd.knownHostsLine}\n`, keys: [['id_ed25519', wrong]] });
    const result = await runWerfRun(['version'], { cwd: project.dir, env: env({ HOME: h }) });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(
      `${sshd.url} (from DOCKER_HOST): ssh authentication as root on [127.0.0.1]:${sshd.port} failed; werf-run offered ${path.join(h, '.ssh', 'id_ed25519')}`,
    );
    expect(result.stderr).toContain('ssh-add');
    expect(result.stderr).toContain(`ssh -p ${sshd.port} root@127.0.0.1 docker version`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });

  it('no agent and no key: says so, without connecting (exit 125)', async () => {
    const result = await runWerfRun(['version'], { cwd: project.dir, env: env({ HOME: home('nokey', { knownHosts: `${sshd.knownHostsLine}\n` }) }) });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(`${sshd.url} (from DOCKER_HOST): ssh authentication as root on [127.0.0.1]:${sshd.port} failed; werf-run offered no key at all`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a host without the docker CLI on the PATH of ssh sessions: the remote error and the fix (exit 125)', async () => {
    const h = home('nodocker', { knownHosts: `${sshd.knownHostsLine}\n`, keys: [['id_ed25519', sshd.noDockerKey]] });
    const result = await runWerfRun(['version'], { cwd: project.dir, env: env({ HOME: h }) });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toMatch(/on 127\.0\.0\.1, `docker system dial-stdio` failed \(exit 127\): .*docker: (command )?not found/);
    expect(result.stderr).toContain('fix: install the docker CLI on 127.0.0.1 and make sure it is on the PATH of non-interactive ssh sessions');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a host whose docker CLI finds no engine: the remote error and the fix (exit 125)', async () => {
    const h = home('noengine', { knownHosts: `${sshd.knownHostsLine}\n`, keys: [['id_ed25519', sshd.noEngineKey]] });
    const result = await runWerfRun(['version'], { cwd: project.dir, env: env({ HOME: h }) });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toMatch(/on 127\.0\.0\.1, `docker system dial-stdio` failed \(exit 1\): failed to open the raw stream connection: dial unix .*no-engine\.sock/);
    expect(result.stderr).toContain('fix: start the Docker Engine on 127.0.0.1');
  });

  it('an unknown host key is refused, with the ssh command that checks and records it (exit 125)', async () => {
    const result = await runWerfRun(['version'], { cwd: project.dir, env: env({ HOME: home('unknown', {}), SSH_AUTH_SOCK: sshd.agentSocket }) });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(`the ssh host key of [127.0.0.1]:${sshd.port} (ssh-ed25519) is not in`);
    expect(result.stderr).toContain(`ssh -p ${sshd.port} root@127.0.0.1 docker version`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a changed host key is refused as ssh refuses it (exit 125)', async () => {
    const other = await makeKey(dir, 'other_host_ed25519');
    const { stdout } = await execa('cat', [`${other}.pub`]);
    const [type, key] = stdout.trim().split(/\s+/);
    const result = await runWerfRun(['version'], {
      cwd: project.dir,
      env: env({ HOME: home('changed', { knownHosts: `[127.0.0.1]:${sshd.port} ${type} ${key}\n` }), SSH_AUTH_SOCK: sshd.agentSocket }),
    });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(`the ssh host key of [127.0.0.1]:${sshd.port} (ssh-ed25519) differs from the one in`);
    expect(result.stderr).toContain(`ssh-keygen -R '[127.0.0.1]:${sshd.port}'`);
  });

  it('a server that never completes the ssh handshake: the ping timeout ends the run (exit 125), nothing hangs', async () => {
    const port = await freePort();
    // Accepts TCP and says nothing: the handshake never starts.
    const accepted: net.Socket[] = [];
    const silent = net.createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    try {
      const result = await runWerfRun(['version'], {
        cwd: project.dir,
        env: env({ DOCKER_HOST: `ssh://root@127.0.0.1:${port}`, HOME: home('silent', {}), SSH_AUTH_SOCK: sshd.agentSocket }),
        timeoutMs: 90_000,
      });
      expect(result.signal, 'werf-run was killed by the test timeout: it hung').toBeUndefined();
      expect(result.exitCode).toBe(125);
      expect(accepted.length, 'werf-run connected to the silent server').toBeGreaterThan(0);
      expect(result.stderr).toContain(`ssh://root@127.0.0.1:${port} (from DOCKER_HOST): no answer within 5000 ms`);
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
      const result = await runWerfRun(['version'], { cwd: project.dir, env: env({ DOCKER_HOST: `ssh://root@127.0.0.1:${port}`, HOME: home('notssh', {}), SSH_AUTH_SOCK: sshd.agentSocket }) });
      expect(result.exitCode).toBe(125);
      expect(result.stderr).toContain(`ssh://root@127.0.0.1:${port} (from DOCKER_HOST): the ssh handshake with [127.0.0.1]:${port} failed`);
      expect(result.stderr).toContain(`fix: check that it is an ssh server (ssh -p ${port} root@127.0.0.1 docker version)`);
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => notSsh.close(resolve));
    }
  });

  it('nothing listening on the ssh port: names the ssh server, not a Docker daemon (exit 125)', async () => {
    const port = await freePort();
    const result = await runWerfRun(['version'], { cwd: project.dir, env: env({ DOCKER_HOST: `ssh://root@127.0.0.1:${port}`, HOME: home('refused', {}), SSH_AUTH_SOCK: sshd.agentSocket }) });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(`cannot reach the ssh server at [127.0.0.1]:${port}: connection refused (ECONNREFUSED): no ssh server listens there`);
    expect(result.stderr).toContain(`fix: check the host and port of the endpoint and that sshd runs there (ssh -p ${port} root@127.0.0.1 docker version)`);
  });

  it('a docker context with an ssh host, made with the real docker CLI', async () => {
    const config = path.join(dir, 'docker-config');
    await execa('docker', ['context', 'create', 'wr-ssh', '--docker', `host=${sshd.url}`], { env: { DOCKER_CONFIG: config } });
    const result = await runWerfRun(['--verbose', 'version'], {
      cwd: project.dir,
      env: env({
        DOCKER_HOST: undefined,
        DOCKER_CONFIG: config,
        DOCKER_CONTEXT: 'wr-ssh',
        HOME: home('context', { knownHosts: `${sshd.knownHostsLine}\n` }),
        SSH_AUTH_SOCK: sshd.agentSocket,
      }),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`engine: ${sshd.url} (from docker context "wr-ssh" (DOCKER_CONTEXT))`);
    expect(result.stdout).toContain('test-rig stand-in for werf');
  });
});
