/**
 * A throwaway second dockerd with a private, empty /tmp (private-tmp-dockerd.sh):
 * an engine whose host cannot see the projects the tests make under /tmp.
 * Its own dir is under /var/tmp; stop() stops it and removes the dir.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

export interface PrivateTmpEngine {
  host: string;
  dir: string;
  docker(args: string[]): Promise<string>;
  log(): string;
  stop(): Promise<void>;
}

const SCRIPT = path.join(path.dirname(new URL(import.meta.url).pathname), 'private-tmp-dockerd.sh');

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export async function startPrivateTmpEngine(): Promise<PrivateTmpEngine> {
  const dir = mkdtempSync('/var/tmp/werf-run-it-engine-tmp-');
  const host = `unix://${dir}/docker.sock`;
  const logFile = path.join(dir, 'dockerd.log');
  const log = openSync(logFile, 'a');
  const child = spawn('bash', [SCRIPT, dir], { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  const docker = async (args: string[]): Promise<string> => (await execa('docker', ['-H', host, ...args])).stdout;
  const stop = async (): Promise<void> => {
    let pid: number | undefined;
    try {
      pid = Number(readFileSync(path.join(dir, 'pid'), 'utf8').trim());
    } catch {
      pid = child.pid;
    }
    if (pid && alive(pid)) {
      process.kill(pid, 'SIGTERM');
      await waitFor(async () => !alive(pid!), 60_000, `dockerd ${pid} to stop`);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => (await execa('docker', ['-H', host, 'version'], { reject: false })).exitCode === 0, 60_000, `the private-/tmp engine at ${host}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { host, dir, docker, log: () => readFileSync(logFile, 'utf8'), stop };
}
