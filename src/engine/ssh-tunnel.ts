/**
 * The Docker API over ssh, as the docker CLI does it: each HTTP connection is
 * an ssh session running `docker system dial-stdio` on the remote host, whose
 * stdin/stdout are the engine's socket. ssh2 does the ssh in-process (loaded
 * on first use: only ssh:// users pay for it); the host key is checked against
 * known_hosts and the keys offered are the agent's and ssh's default key files.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import type { Duplex } from 'node:stream';
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
  remoteError,
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

/** An http.Agent whose connections are ssh sessions running `docker system dial-stdio`. */
export function sshHttpAgent(target: SshTarget, facts: SshFacts): http.Agent {
  const agent = new http.Agent();
  agent.createConnection = ((_options: unknown, callback: (error: Error | null, socket?: Duplex) => void) => {
    openDialStdio(target, facts).then(
      (socket) => callback(null, socket),
      (error: Error) => callback(error),
    );
    return undefined;
  }) as unknown as typeof agent.createConnection;
  return agent;
}

function openDialStdio(target: SshTarget, facts: SshFacts): Promise<Duplex> {
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
    let settled = false;
    const fail = (error: Error): void => {
      conn.end();
      if (settled) return;
      settled = true;
      reject(error);
    };
    conn.on('error', (error: Error & { level?: string }) => {
      if (refused) fail(refused);
      else if (error.level === 'client-authentication') fail(authError(target, offer, error));
      else fail(error);
    });
    conn.on('ready', () => {
      conn.exec('docker system dial-stdio', (error, channel) => {
        if (error) return fail(new SshError('SSH_PROTOCOL', `ssh to ${target.host} could not run docker system dial-stdio: ${error.message}`, 'check that the ssh server allows commands for this user', { cause: error }));
        let stderr = '';
        channel.stderr.on('data', (chunk: Buffer) => {
          if (stderr.length < 4000) stderr += chunk.toString('utf8');
        });
        // dial-stdio failing (no docker CLI, no engine) ends the stream: say why
        // before the HTTP client sees only a closed connection.
        channel.on('exit', (code: number | null) => {
          if (code !== 0 && code !== null) (channel as Duplex).destroy(remoteError(target, code, stderr));
        });
        channel.on('close', () => conn.end());
        settled = true;
        resolve(channel);
      });
    });
    conn.connect({
      host: target.host,
      port: target.port,
      username: target.username,
      authHandler: methods,
      hostVerifier,
      readyTimeout: 30_000,
    });
  });
}
