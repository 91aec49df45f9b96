/**
 * The host-side reading plan() must not do: which credentials exist on this
 * machine (Docker config, kubeconfig, ssh-agent socket), their content (copied
 * into the container before start, so they work on every engine), and
 * whether the image's user can use the agent socket and read the project.
 * `forwardHostFiles` decides from facts given to it (tests pass a fake
 * `probe`); `probeFile` is the real fs.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { UsageError, WerfRunError, errorMessage } from '../errors.js';
import type { Config } from '../config/schema.js';
import { imageUser } from '../plan/contract.js';
import { octal, type InjectedFile } from '../plan/files.js';
import { HOST_SERVICES_SSH_AUTH_SOCK, sshAgentRoute, type LaptopProduct } from '../plan/laptop.js';

export interface FileFacts {
  kind: 'file' | 'dir' | 'socket' | 'other';
  uid: number;
  gid: number;
  mode: number;
}

export type Probe = (file: string) => FileFacts | undefined;

export const probeFile: Probe = (file) => {
  try {
    const s = statSync(file);
    return {
      kind: s.isFile() ? 'file' : s.isDirectory() ? 'dir' : s.isSocket() ? 'socket' : 'other',
      uid: s.uid,
      gid: s.gid,
      mode: s.mode & 0o7777,
    };
  } catch {
    return undefined;
  }
};

/** Whether uid/gid may do `want` (bits of 4=r, 2=w, 1=x) on a file (root-like bypass not assumed: the image user is not root). */
function allows(facts: FileFacts, uid: number, gid: number, want: number): boolean {
  const bits = facts.uid === uid ? (facts.mode >> 6) & 7 : facts.gid === gid ? (facts.mode >> 3) & 7 : facts.mode & 7;
  return (bits & want) === want;
}

export interface ForwardInput {
  env: Readonly<Record<string, string | undefined>>;
  /** The host user's home (for ~/.docker and ~/.kube). */
  hostHome: string;
  forward: Config['forward'];
  /** The image user's home and ids (uid undefined: unknown user, no permission checks). */
  image: { home: string; uid?: number; gid?: number };
  probe: Probe;
  /** Reads a file this process may read (credentials are copied in, not mounted); throws when it cannot. */
  readBytes: (file: string) => Buffer;
  /**
   * The engine's host is this machine (a local socket), so a socket here can
   * be bind-mounted (the ssh agent). Files never need this: they are copied in.
   */
  engineLocal: boolean;
  /** For the message when the ssh agent cannot be forwarded. */
  engineUrl?: string;
  /**
   * The desktop product running the engine in a VM (plan/laptop.ts): the
   * host's SSH_AUTH_SOCK path does not exist where its daemon runs, so the
   * product's own bridge to the agent is forwarded, or a warning says why not.
   */
  product?: LaptopProduct;
  /** This machine's platform (the CLI context's); default linux. */
  platform?: string;
}

export interface Forwarded {
  /** Copied into the container before start, owned by the image user, mode 0600. */
  files: InjectedFile[];
  /** Sockets bind-mounted from this machine (the ssh agent on a local engine). */
  sockets: { source: string; target: string }[];
  extraEnv: Record<string, string>;
  /** Host variables not to pass (they name files that are not forwarded). */
  drop: string[];
  /** What was forwarded or skipped and why (for --verbose and --dry-run). */
  notes: string[];
  warnings: string[];
}

/** Docker Desktop's bridge to the host's ssh-agent, inside its VM (werf: pkg/container_backend/utils.go SSHHostAuthSockPath). */
export const DESKTOP_SSH_AUTH_SOCK = HOST_SERVICES_SSH_AUTH_SOCK;
export const SSH_AGENT_TARGET = '/tmp/werf-run-ssh-agent.sock';
const SSH_KEYS_DIR = '/tmp/werf-run-ssh-keys';

function permissionWarning(file: string, facts: FileFacts, uid: number | undefined, consequence: string): string {
  return `${file} (mode ${octal(facts.mode)}, owner uid ${facts.uid}) cannot be written by uid ${uid}, the werf image's user: ${consequence}. Fix: setfacl -m u:${uid}:rw ${file}`;
}

/** The file's bytes, or a warning saying why werf gets none. */
function copyOf(file: string, input: ForwardInput, out: Forwarded, consequence: string): Buffer | undefined {
  try {
    return input.readBytes(file);
  } catch (error) {
    out.warnings.push(
      `cannot read ${file}: ${(error as Error).message}: ${consequence}. Fix: make it readable by the user running werf-run`,
    );
    return undefined;
  }
}

export function forwardHostFiles(input: ForwardInput): Forwarded {
  const out: Forwarded = { files: [], sockets: [], extraEnv: {}, drop: [], notes: [], warnings: [] };
  const { env, probe } = input;

  // Registry credentials and kubeconfigs are not copied as they are: host/registry-auths.ts and
  // host/kube-access.ts hand werf a generated config.json and one flattened kubeconfig.

  // WERF_SSH_KEY_<NAME>=<host path> (werf's --ssh-key defaults, cmd/werf/common/common.go): each key copied in.
  for (const [name, value] of Object.entries(env).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!/^WERF_SSH_KEY_.+/.test(name) || !value) continue;
    const facts = probe(value);
    const content = facts?.kind === 'file' ? copyOf(value, input, out, 'werf will not have that key') : undefined;
    if (!content) {
      if (facts?.kind !== 'file')
        out.warnings.push(`${name} names ${value}, which is not a file on this host: not forwarded, werf will not have that key`);
      out.drop.push(name);
      continue;
    }
    const target = path.posix.join(SSH_KEYS_DIR, name.slice('WERF_SSH_KEY_'.length));
    out.files.push({ path: target, content, mode: 0o600, secret: true });
    out.extraEnv[name] = target;
    out.notes.push(`${name}: ${value} copied to ${target} (mode 0600)`);
  }

  if (input.forward.sshAgent && env.SSH_AUTH_SOCK) {
    const socket = env.SSH_AUTH_SOCK;
    const route = sshAgentRoute({ product: input.product, platform: input.platform ?? 'linux', socket });
    const facts = probe(socket);
    if (facts?.kind !== 'socket') {
      out.warnings.push(`SSH_AUTH_SOCK is ${socket}, which is not a socket on this host: the ssh-agent is not forwarded`);
    } else if (!input.engineLocal) {
      // A socket is a live connection to a process on this machine: an archive cannot carry it, and a bind mount would name the engine host's path.
      out.warnings.push(
        `the ssh-agent (SSH_AUTH_SOCK=${socket}) is not forwarded: it is a socket on this machine and the engine at ${input.engineUrl ?? 'its endpoint'} runs on another host. Fix: run werf-run on the engine's host, or let werf fetch git over https with a token (or with WERF_SSH_KEY naming a key inside the container), or set forward.sshAgent to false to silence this`,
      );
    } else if (route.kind === 'bridge') {
      // A local Docker Desktop or OrbStack (a remote one's bridge would be another user's agent: the warning above).
      // Permission checks of the host's socket say nothing about the product's bridge.
      out.sockets.push({ source: route.socket, target: route.socket });
      out.extraEnv.SSH_AUTH_SOCK = route.socket;
      out.notes.push(route.note);
    } else if (route.kind === 'none') {
      // Colima, Rancher Desktop, Podman machine, Docker Desktop for Windows: no bridge, and the VM cannot see this socket.
      out.warnings.push(route.warning);
    } else {
      // Read-only does not stop connect(2) on a socket; it only keeps the file from being replaced.
      out.sockets.push({ source: socket, target: SSH_AGENT_TARGET });
      out.extraEnv.SSH_AUTH_SOCK = SSH_AGENT_TARGET;
      out.notes.push(`ssh-agent: ${socket} forwarded as ${SSH_AGENT_TARGET}`);
      const { uid, gid } = input.image;
      if (uid !== undefined && !allows(facts, uid, gid ?? uid, 2)) {
        out.warnings.push(permissionWarning(socket, facts, uid, 'git over ssh will find no keys'));
      }
    }
  }
  return out;
}

/** uid/gid to check host files against: the image user's, none for root (it reads everything) or an unknown user. */
export function imageIds(user: string): { uid?: number; gid?: number } {
  const { uid } = imageUser(user);
  return uid === undefined || uid === 0 ? {} : { uid, gid: uid };
}

/**
 * config.mountDockerSocket: the engine's own unix socket and its group, read on
 * this machine. Only a local unix-socket engine can be handed to werf this way.
 */
export function dockerSocketToMount(endpointUrl: string): { path: string; gid: number } {
  // The text after unix:// as docker reads it (a relative socket is relative to the working directory), not a URL's path.
  if (!endpointUrl.startsWith('unix://')) {
    throw new UsageError(
      `mountDockerSocket is set but the engine is at ${endpointUrl}, not a local unix socket`,
      'unset mountDockerSocket, or point werf-run at a local engine (unix://...)',
    );
  }
  const socket = path.resolve(endpointUrl.slice('unix://'.length));
  let stat;
  try {
    stat = statSync(socket);
  } catch (error) {
    throw new WerfRunError(`mountDockerSocket: cannot read ${socket}: ${(error as Error).message}`, {
      remedy: 'check that the engine runs there',
      cause: error,
    });
  }
  if (!stat.isSocket()) throw new UsageError(`mountDockerSocket: ${socket} is not a socket`, "point werf-run at the engine's socket");
  return { path: socket, gid: stat.gid };
}

/**
 * Extra bind mounts must exist on the daemon's host: the engine would say only
 * "bind source path does not exist". Checked where this machine is that host.
 */
export function checkMountSources(mounts: Config['mounts'], root: string, probe: Probe): void {
  mounts.forEach((mount, index) => {
    const source = path.isAbsolute(mount.source) ? mount.source : path.join(root, mount.source);
    if (!probe(source)) {
      throw new UsageError(
        `mounts[${index}].source is ${JSON.stringify(mount.source)}, but ${source} does not exist`,
        'create it, or fix or remove that entry of mounts in the werf-run config',
      );
    }
  });
}

/** The user's and the system's known_hosts, handed in so git over ssh can verify hosts ("Host key verification failed" otherwise). */
export function knownHostsFiles(input: { hostHome: string; home: string; read: (file: string) => Buffer | undefined }): {
  files: InjectedFile[];
  notes: string[];
  warnings: string[];
} {
  const files: InjectedFile[] = [];
  const notes: string[] = [];
  const warnings: string[] = [];
  const pairs = [
    { source: path.join(input.hostHome, '.ssh', 'known_hosts'), target: path.posix.join(input.home, '.ssh', 'known_hosts'), root: false },
    { source: '/etc/ssh/ssh_known_hosts', target: '/etc/ssh/ssh_known_hosts', root: true },
  ];
  for (const { source, target, root } of pairs) {
    let content: Buffer | undefined;
    try {
      content = input.read(source);
    } catch (error) {
      // Not asked for by name: an unreadable one is worth a note, not a stopped run.
      warnings.push(
        `ssh: ${source} not handed in: ${errorMessage(error)}; git over ssh may then fail host key verification (fix: make it readable by this user)`,
      );
      continue;
    }
    if (!content) continue;
    files.push({ path: target, content, mode: 0o644, ...(root ? { uid: 0, gid: 0 } : {}) });
    notes.push(`ssh: ${source} handed in as ${target}`);
  }
  return { files, notes, warnings };
}
