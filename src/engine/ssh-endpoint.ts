/**
 * ssh:// endpoints, the pure part: what the URL means (as the docker CLI's
 * connhelper reads it), the ssh command lines werf-run runs (the docker CLI's:
 * the system `ssh`, so ~/.ssh/config, the agent, known_hosts and ProxyJump
 * behave exactly as for `docker -H ssh://`), and what ssh's exit status and
 * stderr mean for the user. ssh-tunnel.ts does the I/O.
 */
import { UsageError } from '../errors.js';

export interface SshTarget {
  host: string;
  /** Only when the URL names them: otherwise ssh's own config (User, Port) decides. */
  port?: number;
  username?: string;
  /** The engine's socket on the remote host, when the URL names one (ssh://host/path/to/docker.sock). */
  socketPath?: string;
}

const SSH_FORM = 'write it as ssh://[user@]host[:port][/path/to/docker.sock], as the docker CLI expects';

/**
 * ssh://[user@]host[:port][/path], as the docker CLI reads it
 * (cli/connhelper/ssh/ssh.go newSpec): no password, query or fragment; a path
 * other than slashes names the remote engine's socket (cli/connhelper/connhelper.go).
 */
export function parseSshUrl(url: string): SshTarget {
  const bad = (what: string): never => {
    throw new UsageError(`the ssh endpoint ${JSON.stringify(url)} has ${what}`, SSH_FORM);
  };
  // Go's url.Parse refuses control characters; WHATWG's URL would drop tabs and newlines silently.
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(url)) bad('a control character');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`the ssh endpoint ${JSON.stringify(url)} is not a URL`, SSH_FORM);
  }
  if (parsed.protocol !== 'ssh:') bad(`the scheme ${parsed.protocol} instead of ssh:`);
  if (parsed.password) bad('a password (the docker CLI refuses plain-text passwords too; use a key)');
  if (parsed.search || parsed.hash) bad('a query or fragment (the docker CLI refuses them too)');
  if (!parsed.hostname) bad('no host');
  const socketPath = decodeURIComponent(parsed.pathname);
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    ...(parsed.port ? { port: Number(parsed.port) } : {}),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(socketPath.replace(/\//g, '') !== '' ? { socketPath } : {}),
  };
}

/** One word for the remote POSIX shell ssh hands its command to: plain when safe, else single-quoted. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_\-.,:/@%+=]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command run on the remote host, as the docker CLI's connhelper builds
 * it: `docker system dial-stdio`, with `--host=unix://<path>` when the URL
 * names the engine's socket (a rootless or Podman engine there). ssh passes
 * it to the remote user's shell, so it is one quoted string.
 */
export function remoteDialCommand(target: Pick<SshTarget, 'socketPath'>): string {
  const words = target.socketPath
    ? ['docker', `--host=unix://${target.socketPath}`, 'system', 'dial-stdio']
    : ['docker', 'system', 'dial-stdio'];
  return words.map(shellWord).join(' ');
}

/** How ssh names the host in known_hosts and its messages: bare for port 22, else [host]:port. */
export function knownHostsName(host: string, port: number | undefined): string {
  return port === undefined || port === 22 ? host : `[${host}]:${port}`;
}

/** ssh's arguments that select the target (the docker CLI's connhelper: -l, -p, then `--` and the host). */
function targetArgs(target: SshTarget): string[] {
  return [...(target.username ? ['-l', target.username] : []), ...(target.port ? ['-p', String(target.port)] : []), '--', target.host];
}

/** The docker CLI's flags: a connect timeout unless the user's own flags set one, and no pseudo-terminal. */
const BASE_FLAGS = ['-o', 'ConnectTimeout=30', '-T'];

/**
 * The ssh command lines of one run: a master that holds the one authenticated
 * connection (its control socket at controlPath) and, per API connection, a
 * client that runs `docker system dial-stdio` over it. Without a control path
 * (no ControlMaster support, e.g. Windows' OpenSSH) each dial is its own ssh,
 * as in the docker CLI.
 */
export function sshMasterArgs(target: SshTarget, controlPath: string): string[] {
  return [...BASE_FLAGS, '-M', '-S', controlPath, '-o', 'ControlPersist=no', '-N', ...targetArgs(target)];
}

export function sshDialArgs(target: SshTarget, controlPath: string | undefined): string[] {
  const mux = controlPath ? ['-S', controlPath, '-o', 'ControlMaster=no'] : [];
  return [...BASE_FLAGS, ...mux, ...targetArgs(target), remoteDialCommand(target)];
}

export type SshFailureCode =
  | 'SSH_CLIENT'
  | 'SSH_UNREACHABLE'
  | 'SSH_HOSTKEY_UNKNOWN'
  | 'SSH_HOSTKEY_CHANGED'
  | 'SSH_HOSTKEY_REVOKED'
  | 'SSH_AUTH'
  | 'SSH_REMOTE'
  | 'SSH_PROTOCOL';

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
  const user = target.username ? `${target.username}@` : '';
  return `ssh ${target.port === undefined || target.port === 22 ? '' : `-p ${target.port} `}${user}${target.host} ${command}`;
}

/** The last few meaningful lines ssh wrote, for a message. */
function lastLines(stderr: string, n = 3): string {
  return stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^@+$/.test(l))
    .slice(-n)
    .join(' ')
    .slice(0, 400);
}

export interface SshFailureContext {
  /** SSH_AUTH_SOCK as werf-run saw it, for the auth failure's message. */
  agentSocket: string | undefined;
}

/**
 * What an ssh process that failed means (pure). ssh exits 255 on its own
 * errors and says which on stderr; any other status is the remote command's
 * (`docker system dial-stdio`): see remoteError.
 */
export function classifySshFailure(target: SshTarget, exitCode: number | null, stderr: string, context: SshFailureContext): SshError {
  const name = knownHostsName(target.host, target.port);
  const check = sshCommand(target, remoteVersionCommand(target));
  if (exitCode !== 255 && exitCode !== null) return remoteError(target, exitCode, stderr);
  const hostKey = hostKeyFailure(stderr, name, check);
  if (hostKey) return hostKey;
  if (/Permission denied \(|Too many authentication failures|no more authentication methods/i.test(stderr)) {
    const offered = context.agentSocket
      ? `the keys of the ssh agent at SSH_AUTH_SOCK=${context.agentSocket} and those of your ssh config`
      : 'only the key files of your ssh config (SSH_AUTH_SOCK is not set: no agent)';
    return new SshError(
      'SSH_AUTH',
      `ssh authentication${target.username ? ` as ${target.username}` : ''} on ${name} failed (${lastLines(stderr, 1)}); ssh offered ${offered}`,
      `load the right key into your ssh agent (eval $(ssh-agent); ssh-add ~/.ssh/<key>), set IdentityFile in ~/.ssh/config, or add your public key to the remote user's ~/.ssh/authorized_keys; check with: ${check}`,
    );
  }
  const unreachable = unreachableFailure(stderr, name, check);
  if (unreachable) return unreachable;
  if (
    /kex_exchange_identification|ssh_exchange_identification|banner exchange|Bad protocol version|Protocol major versions differ|Connection closed by|Connection reset by/i.test(
      stderr,
    )
  ) {
    return new SshError(
      'SSH_PROTOCOL',
      `the ssh handshake with ${name} failed: ${lastLines(stderr, 2)}`,
      `check that it is an ssh server (${check})`,
    );
  }
  const said = lastLines(stderr);
  return new SshError(
    'SSH_PROTOCOL',
    `ssh to ${name} failed${exitCode === null ? ' (killed)' : ` (exit ${exitCode})`}${said ? `: ${said}` : ''}`,
    `run the same ssh to see why: ${check}`,
  );
}

/** ssh refused the host's key: revoked, changed, or not known (and no one to ask). */
function hostKeyFailure(stderr: string, name: string, check: string): SshError | undefined {
  const keyType = /(?:The |No |for the )(\w+) (?:host )?key/.exec(stderr)?.[1];
  const typed = keyType ? ` (${keyType})` : '';
  if (/REVOKED HOST KEY|was revoked/.test(stderr)) {
    return new SshError(
      'SSH_HOSTKEY_REVOKED',
      `the ssh host key of ${name}${typed} is marked @revoked in known_hosts; ssh refused it`,
      'do not connect to this host until its key is replaced',
    );
  }
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/.test(stderr)) {
    const offending = /Offending \S+ key in (.+):\d+/.exec(stderr)?.[1];
    return new SshError(
      'SSH_HOSTKEY_CHANGED',
      `the ssh host key of ${name}${typed} differs from the one in ${offending ?? 'known_hosts'}: the host was reinstalled, or someone is intercepting the connection`,
      `find out why the key changed; if it is legitimate, remove the old key (ssh-keygen -R '${name}') and accept the new one: ${check}`,
    );
  }
  if (/Host key verification failed|host key is known for|No \w+ host key is known/.test(stderr)) {
    return new SshError(
      'SSH_HOSTKEY_UNKNOWN',
      `the ssh host key of ${name}${typed} is not in known_hosts and ssh could not ask about it (Host key verification failed)`,
      `connect once with your ssh, check the fingerprint it shows and accept it: ${check}`,
    );
  }
  return undefined;
}

/** The ssh server could not be reached: the name does not resolve, or the connection was refused or timed out. */
function unreachableFailure(stderr: string, name: string, check: string): SshError | undefined {
  const connect = /ssh: connect to host \S+ port \d+: (.+)/.exec(stderr)?.[1]?.trim();
  const resolve = /ssh: Could not resolve hostname [^:]+: (.+)/.exec(stderr)?.[1]?.trim();
  if (!connect && !resolve) return undefined;
  const why = resolve
    ? `the host name does not resolve (${resolve})`
    : /Connection refused/i.test(connect ?? '')
      ? 'connection refused (ECONNREFUSED): no ssh server listens there'
      : /timed out/i.test(connect ?? '')
        ? `the connection timed out (${connect})`
        : connect!;
  return new SshError(
    'SSH_UNREACHABLE',
    `cannot reach the ssh server at ${name}: ${why}`,
    `check the host and port of the endpoint and that sshd runs there (${check})`,
  );
}

/** The system ssh could not be started at all. */
export function clientMissingError(cause: Error & { code?: unknown }): SshError {
  return new SshError(
    'SSH_CLIENT',
    `cannot run the ssh client (ssh): ${cause.code === 'ENOENT' ? 'it is not on the PATH' : cause.message}`,
    "install the OpenSSH client (apt-get install openssh-client, or your system's package): werf-run uses it for ssh:// endpoints, as the docker CLI does",
    { cause },
  );
}

/** `docker version` against the same remote engine, for the user to check with. */
function remoteVersionCommand(target: Pick<SshTarget, 'socketPath'>): string {
  return target.socketPath ? `docker --host=unix://${shellWord(target.socketPath)} version` : 'docker version';
}

/** `docker system dial-stdio` failed on the remote host: docker missing, or no engine there. */
export function remoteError(target: SshTarget, exitCode: number | undefined, stderr: string): SshError {
  const said = lastLines(stderr);
  const check = sshCommand(target, remoteVersionCommand(target));
  const missing = exitCode === 127 || /command not found|not found/i.test(said);
  return new SshError(
    'SSH_REMOTE',
    `on ${target.host}, \`${remoteDialCommand(target)}\` failed${exitCode === undefined ? '' : ` (exit ${exitCode})`}${said ? `: ${said}` : ''}`,
    missing
      ? `install the docker CLI on ${target.host} and make sure it is on the PATH of non-interactive ssh sessions (check: ${check})`
      : `start the Docker Engine on ${target.host}${target.socketPath ? ` at ${target.socketPath}` : ''}, or let ${target.username ?? 'the ssh user'} use it (check: ${check})`,
  );
}
