/**
 * The Docker API over ssh, as the docker CLI does it: each HTTP connection is
 * an ssh session running `docker system dial-stdio` on the remote host, whose
 * stdin/stdout are the engine's socket. ssh2 does the ssh in-process (loaded
 * on first use: only ssh:// users pay for it); the host key is checked against
 * known_hosts and the keys offered are the agent's and ssh's default key files.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';
import { Duplex } from 'node:stream';
import type * as Ssh2 from 'ssh2';
import {
  SshError,
  authError,
  checkHostKey,
  defaultIdentityFiles,
  describeOffer,
  hostKeyError,
  keyTypeOf,
  knownHostsFiles,
  knownHostsName,
  sshCommand,
  remoteError,
  unreachableError,
  type SshTarget,
} from './ssh-endpoint.js';

const require = createRequire(import.meta.url);

export interface SshFacts {
  agentSocket: string | undefined;
  home: string;
  readText(file: string): string | undefined;
}

const readText = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

export const localSshFacts = (env: NodeJS.ProcessEnv = process.env): SshFacts => ({
  agentSocket: env.SSH_AUTH_SOCK || undefined,
  home: os.homedir(),
  readText,
});

/** The unencrypted default key files that exist (an encrypted one needs a passphrase: use the agent). */
function keyFiles(ssh2: typeof Ssh2, facts: SshFacts): { file: string; key: Ssh2.ParsedKey }[] {
  const out: { file: string; key: Ssh2.ParsedKey }[] = [];
  for (const file of defaultIdentityFiles(facts.home)) {
    const text = facts.readText(file);
    if (text === undefined) continue;
    const parsed = ssh2.utils.parseKey(text);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (key && !(key instanceof Error)) out.push({ file, key });
  }
  return out;
}

/**
 * An http.Agent whose connections are `docker system dial-stdio` sessions.
 * They share one ssh connection (a handshake per API call costs hundreds of
 * ms); its socket is unref'd while no session is open, so an idle connection
 * never keeps werf-run from exiting. destroy() closes it.
 */
export class SshHttpAgent extends http.Agent {
  private connection: Promise<{ conn: Ssh2.Client; sock: net.Socket }> | undefined;
  private current: { conn: Ssh2.Client; sock: net.Socket } | undefined;
  private sessions = 0;

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

  override destroy(): void {
    super.destroy();
    this.current?.conn.end();
    this.current?.sock.destroy();
    this.current = undefined;
    this.connection = undefined;
  }

  private async dial(): Promise<Duplex> {
    const connection = (this.connection ??= this.connect());
    let ssh: { conn: Ssh2.Client; sock: net.Socket };
    try {
      ssh = await connection;
    } catch (error) {
      if (this.connection === connection) this.connection = undefined;
      throw error;
    }
    this.sessions++;
    ssh.sock.ref();
    const release = (): void => {
      if (--this.sessions === 0) ssh.sock.unref();
    };
    try {
      const channel = await dialStdio(ssh.conn, this.target);
      channel.once('close', release);
      return channel;
    } catch (error) {
      release();
      throw error;
    }
  }

  private connect(): Promise<{ conn: Ssh2.Client; sock: net.Socket }> {
    const { target, facts } = this;
    const ssh2 = require('ssh2') as typeof Ssh2;
    const keys = keyFiles(ssh2, facts);
    const offer = describeOffer(facts.agentSocket, keys.map((k) => k.file));
    const methods: Ssh2.AnyAuthMethod[] = [
      ...(facts.agentSocket ? [{ type: 'agent' as const, username: target.username, agent: facts.agentSocket }] : []),
      ...keys.map(({ key }) => ({ type: 'publickey' as const, username: target.username, key })),
    ];
    if (methods.length === 0) return Promise.reject(authError(target, offer));

    const files = knownHostsFiles(facts.home);
    let refused: SshError | undefined;
    const hostVerifier = (key: Buffer): boolean => {
      const texts = files.map((f) => facts.readText(f)).filter((t): t is string => t !== undefined);
      const verdict = checkHostKey(texts, target.host, target.port, key);
      if (verdict === 'known') return true;
      refused = hostKeyError(verdict, target, keyTypeOf(key), files);
      return false;
    };

    return new Promise((resolve, reject) => {
      const conn = new ssh2.Client();
      // werf-run's own socket, so that it can be unref'd while idle.
      const sock = net.connect(target.port, target.host);
      // Known to destroy() from the start: a handshake that never ends must not keep werf-run alive.
      this.current = { conn, sock };
      let ready = false;
      const forget = (): void => {
        if (this.current?.conn === conn) {
          this.current = undefined;
          this.connection = undefined;
        }
      };
      conn.on('error', (error: Error & { level?: string }) => {
        forget();
        sock.destroy();
        if (ready) return; // open sessions see their streams fail
        if (refused) reject(refused);
        else if (error.level === 'client-authentication') reject(authError(target, offer, error));
        else if (error.level === 'client-socket') reject(unreachableError(target, error));
        else reject(new SshError('SSH_PROTOCOL', `the ssh handshake with ${knownHostsName(target.host, target.port)} failed: ${error.message}`, `check that it is an ssh server (${sshCommand(target, 'docker version')})`, { cause: error }));
      });
      conn.on('close', () => {
        forget();
        // Closed before the handshake ended without an error (by the server, or by destroy()).
        if (!ready) reject(new SshError('SSH_PROTOCOL', `the ssh server at ${knownHostsName(target.host, target.port)} closed the connection during the handshake`, `check the server's logs and that it lets ${target.username} in (${sshCommand(target, 'docker version')})`));
      });
      conn.on('ready', () => {
        ready = true;
        resolve({ conn, sock });
      });
      conn.connect({ sock, username: target.username, authHandler: methods, hostVerifier, readyTimeout: 0 });
    });
  }
}

/** One `docker system dial-stdio` session: its stdin/stdout are the engine's socket. */
function dialStdio(conn: Ssh2.Client, target: SshTarget): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    conn.exec('docker system dial-stdio', (error, channel) => {
      if (error) {
        reject(new SshError('SSH_PROTOCOL', `ssh to ${target.host} could not run docker system dial-stdio: ${error.message}`, 'check that the ssh server allows commands for this user (and MaxSessions)', { cause: error }));
        return;
      }
      resolve(new DialStdioSocket(channel, target));
    });
  });
}

/**
 * The session's channel as the HTTP client's socket. OpenSSH sends the end of
 * a command's output before its exit status, so the end of the stream waits
 * for the status: a dial-stdio that failed (no docker CLI, no engine) becomes
 * an error saying why, not a bare "socket hang up".
 */
class DialStdioSocket extends Duplex {
  constructor(
    private readonly channel: Ssh2.ClientChannel,
    target: SshTarget,
  ) {
    super();
    let stderr = '';
    let ended = false;
    let exit: number | null | undefined;
    let settled = false;
    const settle = (): void => {
      if (settled || !ended || exit === undefined) return;
      settled = true;
      if (exit !== null && exit !== 0) this.destroy(remoteError(target, exit, stderr));
      else this.push(null);
    };
    channel.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString('utf8');
    });
    channel.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) channel.pause();
    });
    channel.on('end', () => {
      ended = true;
      settle();
    });
    // (code) for an exit status; (null, signal) when the command was killed, e.g. as the session closed.
    channel.on('exit', (code: number | null) => {
      exit = code;
      settle();
    });
    channel.on('close', () => {
      ended = true;
      if (exit === undefined) exit = null;
      settle();
    });
    channel.on('error', (error: Error) => this.destroy(error));
  }

  override _read(): void {
    this.channel.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.channel.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.channel.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.channel.destroy();
    callback(error);
  }
}
