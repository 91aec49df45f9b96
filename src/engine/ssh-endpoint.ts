/**
 * ssh:// endpoints, the pure part: what the URL means (as the docker CLI's
 * connhelper reads it), whether a host key is the one known_hosts records
 * (the check the user's ssh does for the docker CLI), which key files to offer,
 * and what each way of failing means for the user. ssh-tunnel.ts does the I/O.
 */
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { UsageError } from '../errors.js';

export interface SshTarget {
  host: string;
  port: number;
  username: string;
}

/**
 * ssh://[user@]host[:port], like the docker CLI: no password, no path, no
 * query. Without a user the local user name is used (what ssh does without
 * a User in ~/.ssh/config).
 */
export function parseSshUrl(url: string, localUser: string): SshTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`the ssh endpoint ${url} is not a URL`, 'write it as ssh://[user@]host[:port]');
  }
  const bad = (what: string): never => {
    throw new UsageError(`the ssh endpoint ${url} has ${what}`, 'write it as ssh://[user@]host[:port], as the docker CLI expects');
  };
  if (parsed.protocol !== 'ssh:') bad(`the scheme ${parsed.protocol} instead of ssh:`);
  if (parsed.password) bad('a password (the docker CLI refuses plain-text passwords too; use a key)');
  if (parsed.pathname && parsed.pathname !== '/') bad(`a path (${parsed.pathname})`);
  if (parsed.search || parsed.hash) bad('a query or fragment');
  if (!parsed.hostname) bad('no host');
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : 22,
    username: parsed.username ? decodeURIComponent(parsed.username) : localUser,
  };
}

/** How ssh writes the host in known_hosts: bare for port 22, else [host]:port. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The key type named inside an SSH public key blob (its first string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

/** Does a known_hosts host field (comma-separated patterns, negations, or one |1|salt|hash) name this host? */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const pattern of field.split(',')) {
    if (pattern.startsWith('!')) {
      if (globMatch(pattern.slice(1), name)) return false;
    } else if (globMatch(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

export type HostKeyVerdict = 'known' | 'changed' | 'unknown' | 'revoked';

/**
 * The verdict of known_hosts texts on the key a server offered, as OpenSSH
 * decides it: a matching line with this key is "known"; a line for this host
 * with another key of the same type means the key "changed" (ssh's REMOTE HOST
 * IDENTIFICATION HAS CHANGED); @revoked wins over all. @cert-authority lines are
 * not used (werf-run checks plain host keys only).
 */
export function checkHostKey(texts: readonly string[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const type = keyTypeOf(key);
  const offered = key.toString('base64');
  let known = false;
  let changed = false;
  for (const text of texts) {
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const fields = line.split(/\s+/);
      const marker = fields[0]?.startsWith('@') ? fields.shift() : undefined;
      const [hosts, lineType, lineKey] = fields;
      if (!hosts || !lineType || !lineKey || !hostFieldMatches(hosts, name)) continue;
      if (marker === '@revoked') {
        if (lineKey === offered) return 'revoked';
        continue;
      }
      if (marker !== undefined) continue;
      if (lineKey === offered) known = true;
      else if (lineType === type) changed = true;
    }
  }
  return known ? 'known' : changed ? 'changed' : 'unknown';
}

/** The files ssh reads host keys from (the user's first). */
export function knownHostsFiles(home: string): string[] {
  return [path.join(home, '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];
}

/** The private keys ssh offers by default, in its order. */
export function defaultIdentityFiles(home: string): string[] {
  return ['id_rsa', 'id_ecdsa', 'id_ed25519'].map((base) => path.join(home, '.ssh', base));
}

/** What werf-run offers the server, for messages. */
export function describeOffer(agentSocket: string | undefined, keyFiles: readonly string[]): string {
  const parts = [];
  if (agentSocket) parts.push(`the keys of the ssh agent at SSH_AUTH_SOCK=${agentSocket}`);
  if (keyFiles.length > 0) parts.push(keyFiles.join(', '));
  return parts.length > 0 ? parts.join(' and ') : 'no key at all (SSH_AUTH_SOCK is not set and there is no unencrypted ~/.ssh/id_rsa, id_ecdsa or id_ed25519)';
}

export type SshFailureCode = 'SSH_UNREACHABLE' | 'SSH_HOSTKEY_UNKNOWN' | 'SSH_HOSTKEY_CHANGED' | 'SSH_HOSTKEY_REVOKED' | 'SSH_AUTH' | 'SSH_REMOTE' | 'SSH_PROTOCOL';

/** An ssh failure with its meaning in words and the fix: discover.ts shows both. */
export class SshError extends Error {
  constructor(
    readonly code: SshFailureCode,
    message: string,
    readonly remedy: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SshError';
  }
}

/** The command a user runs to check the same connection with their ssh (and record the host key after checking it). */
export function sshCommand(target: SshTarget, command: string): string {
  return `ssh ${target.port === 22 ? '' : `-p ${target.port} `}${target.username}@${target.host} ${command}`;
}

export function hostKeyError(verdict: Exclude<HostKeyVerdict, 'known'>, target: SshTarget, keyType: string, files: readonly string[]): SshError {
  const name = knownHostsName(target.host, target.port);
  const check = sshCommand(target, 'docker version');
  switch (verdict) {
    case 'unknown':
      return new SshError(
        'SSH_HOSTKEY_UNKNOWN',
        `the ssh host key of ${name} (${keyType}) is not in ${files.join(' or ')}; werf-run does not trust unknown hosts`,
        `connect once with your ssh, check the fingerprint it shows and accept it: ${check}`,
      );
    case 'changed':
      return new SshError(
        'SSH_HOSTKEY_CHANGED',
        `the ssh host key of ${name} (${keyType}) differs from the one in ${files.join(' or ')}: the host was reinstalled, or someone is intercepting the connection`,
        `find out why the key changed; if it is legitimate, remove the old key (ssh-keygen -R '${name}') and accept the new one: ${check}`,
      );
    case 'revoked':
      return new SshError('SSH_HOSTKEY_REVOKED', `the ssh host key of ${name} (${keyType}) is marked @revoked in ${files.join(' or ')}`, 'do not connect to this host until its key is replaced');
  }
}

export function authError(target: SshTarget, offer: string, cause?: unknown): SshError {
  return new SshError(
    'SSH_AUTH',
    `ssh authentication as ${target.username} on ${knownHostsName(target.host, target.port)} failed; werf-run offered ${offer}`,
    `load the right key into your ssh agent (eval $(ssh-agent); ssh-add ~/.ssh/<key>) or add your public key to ~${target.username}/.ssh/authorized_keys on ${target.host}; check with: ${sshCommand(target, 'docker version')}`,
    { cause },
  );
}

/** No ssh server to talk to: the TCP connection failed (refused, unresolvable, unreachable). */
export function unreachableError(target: SshTarget, cause: Error & { code?: unknown }): SshError {
  const code = typeof cause.code === 'string' ? cause.code : '';
  const why =
    code === 'ECONNREFUSED' ? 'connection refused (ECONNREFUSED): no ssh server listens there'
    : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? `the host name does not resolve (${code})`
    : `${cause.message}`;
  return new SshError(
    'SSH_UNREACHABLE',
    `cannot reach the ssh server at ${knownHostsName(target.host, target.port)}: ${why}`,
    `check the host and port of the endpoint and that sshd runs there (${sshCommand(target, 'docker version')})`,
    { cause },
  );
}

/** `docker system dial-stdio` failed on the remote host: docker missing, or no engine there. */
export function remoteError(target: SshTarget, exitCode: number | undefined, stderr: string): SshError {
  const said = stderr.trim().split('\n').slice(-3).join(' ').slice(0, 400);
  const missing = exitCode === 127 || /command not found|not found/i.test(said);
  return new SshError(
    'SSH_REMOTE',
    `on ${target.host}, \`docker system dial-stdio\` failed${exitCode === undefined ? '' : ` (exit ${exitCode})`}${said ? `: ${said}` : ''}`,
    missing
      ? `install the docker CLI on ${target.host} and make sure it is on the PATH of non-interactive ssh sessions (check: ${sshCommand(target, 'docker version')})`
      : `start the Docker Engine on ${target.host}, or let ${target.username} use it (check: ${sshCommand(target, 'docker version')})`,
  );
}
