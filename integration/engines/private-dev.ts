/**
 * A throwaway second dockerd whose /dev/fuse is missing or 0600, in its own
 * mount namespace (private-dev-dockerd.sh), so the host's /dev/fuse, which
 * other test runs share, is never changed. Stopped and removed by stop().
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, openSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export interface PrivateEngine {
  host: string;
  dir: string;
  docker(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

const SCRIPT = path.join(path.dirname(new URL(import.meta.url).pathname), 'private-dev-dockerd.sh');

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Runs a dockerd launcher script (DIR first, then `args`) and waits for its socket; stop() stops it and removes DIR. */
export async function startScriptDockerd(
  script: string,
  dir: string,
  args: string[],
  what: string,
): Promise<PrivateEngine & { log(): string }> {
  const host = `unix://${dir}/docker.sock`;
  const logFile = path.join(dir, 'dockerd.log');
  const log = openSync(logFile, 'a');
  const child = spawn('bash', [script, dir, ...args], { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  const docker = async (dockerArgs: string[]): Promise<string> => (await execa('docker', ['-H', host, ...dockerArgs])).stdout;
  const stop = async (): Promise<void> => {
    let pid: number | undefined;
    try {
      pid = Number(readFileSync(path.join(dir, 'pid'), 'utf8').trim());
    } catch {
      pid = child.pid;
    }
    if (pid) {
      try {
        process.kill(pid, 'SIGTERM');
        await waitFor(
          async () => {
            try {
              process.kill(pid!, 0);
              return false;
            } catch {
              return true;
            }
          },
          60_000,
          `dockerd ${pid} to stop`,
        );
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => (await execa('docker', ['-H', host, 'version'], { reject: false })).exitCode === 0,
      60_000,
      `${what} at ${host}`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { host, dir, docker, stop, log: () => readFileSync(logFile, 'utf8') };
}

export async function startPrivateEngine(fuse: 'missing' | '0600', images: string[]): Promise<PrivateEngine> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `werf-run-it-engine-${fuse}-`));
  const engine = await startScriptDockerd(SCRIPT, dir, [fuse], `the ${fuse} engine`);
  try {
    for (const image of images) await engine.docker(['pull', '-q', image]);
  } catch (error) {
    await engine.stop();
    throw error;
  }
  return engine;
}
