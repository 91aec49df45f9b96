/**
 * The Docker API over ssh, as the docker CLI does it: the system `ssh` runs
 * `docker system dial-stdio` on the remote host and its stdin/stdout are the
 * engine's socket. ssh itself reads ~/.ssh/config (User, Port, ProxyJump,
 * IdentityFile, ControlMaster), asks the agent and checks known_hosts.
 *
 * One ssh connection per run: the first dial starts a master (`ssh -M -N`, its
 * control socket in a private temp dir) and every API connection is a
 * `docker system dial-stdio` session multiplexed over it, so the handshake and
 * any prompt happen once. The master is killed when the agent is destroyed or
 * werf-run exits; the sessions end with their HTTP connections.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { classifySshFailure, clientMissingError, sshDialArgs, sshMasterArgs, type SshError, type SshTarget } from './ssh-endpoint.js';

export interface SshFacts {
  agentSocket: string | undefined;
  /** false where OpenSSH has no ControlMaster (Windows): one ssh per API connection, as the docker CLI does. */
  multiplex: boolean;
  /** The ssh program (the docker CLI runs `ssh` from the PATH). */
  program: string;
}

export const localSshFacts = (env: NodeJS.ProcessEnv = process.env): SshFacts => ({
  agentSocket: env.SSH_AUTH_SOCK || undefined,
  multiplex: process.platform !== 'win32',
  program: 'ssh',
});

/** Keeps at most this much of an ssh process's stderr for the message. */
const STDERR_LIMIT = 8000;

function collectStderr(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (text.length < STDERR_LIMIT) text += chunk.toString('utf8');
  });
  return () => text;
}

/** An http.Agent whose connections are `docker system dial-stdio` sessions of the system ssh. */
export class SshHttpAgent extends http.Agent {
  private master: Promise<string | undefined> | undefined;
  private masterProcess: ChildProcess | undefined;
  private dir: string | undefined;
  private readonly sessions = new Set<ChildProcess>();
  private readonly onExit = (): void => this.destroy();

  constructor(
    readonly target: SshTarget,
    private readonly facts: SshFacts,
  ) {
    super();
    this.createConnection = ((_options: unknown, callback: (error: Error | null, socket?: Duplex) => void) => {
      this.dial().then(
        (socket) => callback(null, socket),
        (error: Error) => callback(error),
      );
      return undefined;
    }) as unknown as typeof this.createConnection;
  }

  /** Ends every ssh process of this agent and removes the control socket's dir. Safe to call twice, and from process 'exit'. */
  override destroy(): void {
    super.destroy();
    for (const child of this.sessions) child.kill('SIGTERM');
    this.sessions.clear();
    this.masterProcess?.kill('SIGTERM');
    this.masterProcess = undefined;
    this.master = undefined;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    process.removeListener('exit', this.onExit);
  }

  private async dial(): Promise<Duplex> {
    let controlPath: string | undefined;
    if (this.facts.multiplex) {
      const master = (this.master ??= this.startMaster());
      try {
        controlPath = await master;
      } catch (error) {
        if (this.master === master) this.master = undefined;
        throw error;
      }
    }
    const child = this.spawn(sshDialArgs(this.target, controlPath), ['pipe', 'pipe', 'pipe']);
    this.sessions.add(child);
    child.once('exit', () => this.sessions.delete(child));
    return new DialStdioSocket(child, (code, stderr) => classifySshFailure(this.target, code, stderr, this.facts));
  }

  private spawn(args: string[], stdio: ('pipe' | 'ignore')[]): ChildProcess {
    return spawn(this.facts.program, args, { stdio, windowsHide: true });
  }

  /**
   * Starts the master and resolves with its control socket once ssh has
   * connected and authenticated (ssh creates the socket only then), or
   * rejects with what ssh said when it exits first.
   */
  private startMaster(): Promise<string> {
    // Once per tunnel: a master started again after a failure must not add another exit listener.
    if (this.dir === undefined) {
      this.dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-ssh-'));
      process.on('exit', this.onExit);
    }
    const controlPath = path.join(this.dir, 'c');
    const child = this.spawn(sshMasterArgs(this.target, controlPath), ['ignore', 'ignore', 'pipe']);
    this.masterProcess = child;
    const stderr = collectStderr(child);
    return new Promise((resolve, reject) => {
      let done = false;
      const poll = setInterval(() => {
        if (done || !existsSync(controlPath)) return;
        done = true;
        clearInterval(poll);
        // An idle master never keeps werf-run alive: process 'exit' (or destroy) ends it.
        child.unref();
        (child.stderr as { unref?: () => void } | null)?.unref?.();
        resolve(controlPath);
      }, 10);
      child.once('error', (error: Error) => {
        if (done) return;
        done = true;
        clearInterval(poll);
        reject(clientMissingError(error));
      });
      // 'close', not 'exit': ssh's stderr is complete by then.
      child.once('close', (code: number | null) => {
        if (this.masterProcess === child) {
          this.masterProcess = undefined;
          this.master = undefined;
        }
        if (done) return;
        done = true;
        clearInterval(poll);
        // ssh says why on stderr with status 255; a master killed by destroy() reads as "killed".
        reject(classifySshFailure(this.target, code === 0 ? 255 : code, stderr(), this.facts));
      });
    });
  }
}

/**
 * One ssh process's stdio as the HTTP client's socket. ssh's stdout ends
 * before its exit status is known, so the end of the stream waits for the
 * status: a dial-stdio that failed (no docker CLI, no engine) or an ssh that
 * failed becomes an error saying why, not a bare "socket hang up".
 */
class DialStdioSocket extends Duplex {
  constructor(
    private readonly child: ChildProcess,
    failure: (exitCode: number | null, stderr: string) => SshError,
  ) {
    super();
    const stderr = collectStderr(child);
    let ended = false;
    let exit: number | null | undefined;
    let settled = false;
    const settle = (): void => {
      if (settled || !ended || exit === undefined) return;
      settled = true;
      if (exit !== 0) this.destroy(failure(exit, stderr()));
      else this.push(null);
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout!.pause();
    });
    child.stdout!.on('end', () => {
      ended = true;
      settle();
    });
    // 'close' (not 'exit'): stderr is complete by then.
    child.on('close', (code: number | null) => {
      exit = code;
      ended = true;
      settle();
    });
    child.on('error', (error: Error) => this.destroy(clientMissingError(error)));
    child.stdin!.on('error', () => undefined); // EPIPE when ssh is gone: its exit status says why
  }

  override _read(): void {
    this.child.stdout?.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // A write that fails (EPIPE: ssh is gone) is not the error to report: ssh's exit status and stderr say why (settle()).
    this.child.stdin!.write(chunk, () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.child.stdin!.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    callback(error);
  }

  // What node:http may call on a net.Socket; a pipe to ssh has nothing to set.
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
}
