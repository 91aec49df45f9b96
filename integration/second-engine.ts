/**
 * A second, private Docker Engine for tests that must break an engine (stop it
 * mid-run). It lives in its own temp dir with its own socket, data and exec
 * roots, never touches the shared engine, and stop() ends it and its
 * containerd.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export interface SecondEngine {
  dir: string;
  host: string;
  docker(args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }>;
  /** Stops the daemon (SIGTERM, as a service manager would) and waits for it to exit. */
  stopDaemon(): Promise<void>;
  /** Kills the daemon (SIGKILL: a crash); its containers keep running under their shims. */
  crashDaemon(): Promise<void>;
  /** Starts the daemon again on the same dirs (it then stops what the crash left running). */
  restartDaemon(): Promise<void>;
  /** Stops everything and removes the dir. */
  dispose(): Promise<void>;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export async function startSecondEngine(): Promise<SecondEngine> {
  // A short path: unix socket paths are limited to ~108 bytes.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'i5-eng-'));
  const host = `unix://${dir}/docker.sock`;
  const log = openSync(path.join(dir, 'dockerd.log'), 'a');
  const docker = async (args: string[]) => {
    const r = await execa('docker', ['-H', host, ...args], { reject: false });
    return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode };
  };
  let daemon: ChildProcess;
  let exited: Promise<void>;
  let stopped = false;
  const launch = async (): Promise<void> => {
    daemon = spawn(
      'dockerd',
      ['--data-root', `${dir}/data`, '--exec-root', `${dir}/exec`, '-H', host, '--pidfile', `${dir}/pid`, '--bridge=none', '--iptables=false'],
      { stdio: ['ignore', log, log] },
    );
    exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
    stopped = false;
    try {
      await waitFor(async () => (await docker(['version', '--format', '{{.Server.Version}}'])).exitCode === 0, 30_000, `dockerd on ${host}`);
    } catch (error) {
      await stopDaemon();
      throw error;
    }
  };
  const stopDaemon = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> => {
    if (stopped) return;
    stopped = true;
    daemon.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    if (daemon.exitCode === null && daemon.signalCode === null) {
      daemon.kill('SIGKILL');
      await exited;
    }
  };
  await launch();
  return {
    dir,
    host,
    docker,
    stopDaemon: () => stopDaemon('SIGTERM'),
    crashDaemon: () => stopDaemon('SIGKILL'),
    restartDaemon: launch,
    async dispose() {
      await stopDaemon();
      // dockerd's own containerd normally exits with it; if not, stop it by its pid file.
      try {
        const pid = Number(readFileSync(`${dir}/exec/containerd/containerd.pid`, 'utf8').trim());
        if (pid > 1) process.kill(pid, 'SIGTERM');
      } catch {
        // no pid file or already gone
      }
      // dockerd leaves mounts under its roots (netns files, overlay): unmount deepest first.
      const mounts = readFileSync('/proc/self/mounts', 'utf8')
        .split('\n')
        .map((line) => line.split(' ')[1] ?? '')
        .filter((target) => target.startsWith(`${dir}/`))
        .sort((a, b) => b.length - a.length);
      for (const target of mounts) await execa('umount', ['-l', target], { reject: false });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
