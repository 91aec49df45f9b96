/**
 * A throwaway OpenSSH server on 127.0.0.1 (Debian's openssh-server, installed by
 * the rig) that lets root in by key only, and an ssh-agent of its own: the
 * remote end of an ssh:// DOCKER_HOST, whose `docker system dial-stdio` reaches
 * the rig's engine. Everything lives in one temp dir; stop() ends both processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { freePort } from './engines.js';

export interface StartedSshd {
  dir: string;
  port: number;
  url: string;
  /** `[127.0.0.1]:port <type> <key>`: the known_hosts line of the server's key. */
  knownHostsLine: string;
  /** The throwaway client key pair the server accepts (private key file, and .pub beside it). */
  clientKey: string;
  /** An ssh-agent socket holding clientKey. */
  agentSocket: string;
  /** Keys the server accepts but runs dial-stdio for without docker on the PATH, or without an engine. */
  noDockerKey: string;
  noEngineKey: string;
  /** What sshd logged so far (for "Accepted publickey" and for failing tests' messages). */
  log(): string;
  stop(): Promise<void>;
}

async function keygen(file: string): Promise<void> {
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'werf-run-it', '-f', file]);
}

/** Also a key the server does not accept, for "wrong key" tests. */
export async function makeKey(dir: string, name: string): Promise<string> {
  const file = path.join(dir, name);
  await keygen(file);
  return file;
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited (${child.exitCode}): ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port} within 30 s: ${log()}`);
}

export async function startSshd(): Promise<StartedSshd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wr-sshd-'));
  const children: ChildProcess[] = [];
  // sshd refuses to start without its privilege separation dir; made only if missing, removed again by stop().
  const privsep = '/run/sshd';
  const madePrivsep = !existsSync(privsep);
  if (madePrivsep) mkdirSync(privsep, { mode: 0o755 });
  const stop = async (): Promise<void> => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    }
    if (madePrivsep) rmSync(privsep, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const hostKey = path.join(dir, 'host_ed25519');
    await keygen(hostKey);
    const clientKey = await makeKey(dir, 'client_ed25519');
    const noDockerKey = await makeKey(dir, 'nodocker_ed25519');
    const noEngineKey = await makeKey(dir, 'noengine_ed25519');
    // Forced commands (run by root's shell, like any ssh command): the real
    // failures of a host without the docker CLI on its PATH, and without an engine.
    writeFileSync(
      path.join(dir, 'authorized_keys'),
      [
        readFileSync(`${clientKey}.pub`, 'utf8').trim(),
        `command="PATH=/nonexistent; docker system dial-stdio" ${readFileSync(`${noDockerKey}.pub`, 'utf8').trim()}`,
        `command="DOCKER_HOST=unix://${dir}/no-engine.sock docker system dial-stdio" ${readFileSync(`${noEngineKey}.pub`, 'utf8').trim()}`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    const config = path.join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
        'StrictModes no',
        'UsePAM no',
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'AllowUsers root',
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
    let sshdLog = '';
    // -D: stay in the foreground (this process owns it); -e: log to stderr.
    const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(sshd);
    sshd.stdout?.on('data', (c: Buffer) => (sshdLog += c.toString()));
    sshd.stderr?.on('data', (c: Buffer) => (sshdLog += c.toString()));
    await waitForPort(port, sshd, () => sshdLog);

    const agentSocket = path.join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', agentSocket], { stdio: 'ignore' });
    children.push(agent);
    const deadline = Date.now() + 10_000;
    while (!existsSync(agentSocket)) {
      if (Date.now() > deadline || agent.exitCode !== null) throw new Error('ssh-agent did not create its socket');
      await new Promise((r) => setTimeout(r, 50));
    }
    await execa('ssh-add', [clientKey], { env: { SSH_AUTH_SOCK: agentSocket } });

    const [type, key] = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
    return {
      dir,
      port,
      url: `ssh://root@127.0.0.1:${port}`,
      knownHostsLine: `[127.0.0.1]:${port} ${type} ${key}`,
      clientKey,
      agentSocket,
      noDockerKey,
      noEngineKey,
      log: () => sshdLog,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
