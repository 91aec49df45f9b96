/**
 * The host-side reading plan() must not do: which credentials exist on this
 * machine (Docker config, kubeconfig, ssh-agent socket), their content (copied
 * into the container before start, so they work on every engine), and
 * whether the image's user can use the agent socket and read the project.
 * `forwardHostFiles` decides from facts given to it (tests pass a fake
 * `probe`); `probeFile` is the real fs.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError, WerfRunError } from '../errors.js';
import type { Config } from '../config/schema.js';
import { imageUser } from '../plan/contract.js';
import type { InjectedFile } from '../plan/files.js';

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
    return { kind: s.isFile() ? 'file' : s.isDirectory() ? 'dir' : s.isSocket() ? 'socket' : 'other', uid: s.uid, gid: s.gid, mode: s.mode & 0o7777 };
  } catch {
    return undefined;
  }
};

/** Whether uid/gid may do `want` (bits of 4=r, 2=w, 1=x) on a file (root-like bypass not assumed: the image user is not root). */
function allows(facts: FileFacts, uid: number, gid: number, want: number): boolean {
  const bits = facts.uid === uid ? (facts.mode >> 6) & 7 : facts.gid === gid ? (facts.mode >> 3) & 7 : facts.mode & 7;
  return (bits & want) === want;
}

const octal = (mode: number): string => `0${mode.toString(8).padStart(3, '0')}`;

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
}

export interface Forwarded {
  /** Copied into the container before start, owned by the image user, mode 0600. */
  files: InjectedFile[];
  /** Sockets bind-mounted from this machine (the ssh agent on a local engine). */
  sockets: { source: string; target: string }[];
  extraEnv: Record<string, string>;
  /** What was forwarded or skipped and why (for --verbose and --dry-run). */
  notes: string[];
  warnings: string[];
}

export const SSH_AGENT_TARGET = '/tmp/werf-run-ssh-agent.sock';

function permissionWarning(file: string, facts: FileFacts, uid: number | undefined, consequence: string): string {
  return `${file} (mode ${octal(facts.mode)}, owner uid ${facts.uid}) cannot be written by uid ${uid}, the werf image's user: ${consequence}. Fix: setfacl -m u:${uid}:rw ${file}`;
}

/** The file's bytes, or a warning saying why werf gets none. */
function copyOf(file: string, input: ForwardInput, out: Forwarded, consequence: string): Buffer | undefined {
  try {
    return input.readBytes(file);
  } catch (error) {
    out.warnings.push(`cannot read ${file}: ${(error as Error).message}: ${consequence}. Fix: make it readable by the user running werf-run`);
    return undefined;
  }
}

export function forwardHostFiles(input: ForwardInput): Forwarded {
  const out: Forwarded = { files: [], sockets: [], extraEnv: {}, notes: [], warnings: [] };
  const { env, probe } = input;

  if (input.forward.dockerConfig) {
    const dir = env.WERF_DOCKER_CONFIG || env.DOCKER_CONFIG || path.join(input.hostHome, '.docker');
    const file = path.join(dir, 'config.json');
    const facts = probe(file);
    const content = facts?.kind === 'file' ? copyOf(file, input, out, 'werf will have no registry credentials') : undefined;
    if (content) {
      const target = path.posix.join(input.image.home, '.docker', 'config.json');
      out.files.push({ path: target, content, mode: 0o600, secret: true });
      // werf reads WERF_DOCKER_CONFIG, then DOCKER_CONFIG: point them at the copy, never at a host path.
      if (env.WERF_DOCKER_CONFIG) out.extraEnv.WERF_DOCKER_CONFIG = path.posix.dirname(target);
      if (env.DOCKER_CONFIG) out.extraEnv.DOCKER_CONFIG = path.posix.dirname(target);
      out.notes.push(`registry auth: ${file} copied to ${target} (mode 0600)`);
      if (/"(credsStore|credHelpers)"\s*:/.test(content.toString('utf8'))) {
        out.warnings.push(
          `${file} uses a credential helper (credsStore/credHelpers), which runs on this host and not in the werf image: werf may have no registry credentials. Fix: log in inside the container (werf cr login) or pass credentials as WERF_* variables`,
        );
      }
    } else if (!facts) {
      out.notes.push(`registry auth: no ${file}; nothing copied`);
    }
  }

  if (input.forward.kubeConfig) {
    const list = env.WERF_KUBECONFIG || env.KUBECONFIG;
    const files = list ? list.split(path.delimiter).filter(Boolean) : [path.join(input.hostHome, '.kube', 'config')];
    const inside: string[] = [];
    for (const file of files) {
      const facts = probe(file);
      if (facts?.kind !== 'file') {
        out.notes.push(`kubeconfig: no ${file}; not copied`);
        continue;
      }
      const content = copyOf(file, input, out, 'deploy commands will have no cluster access');
      if (!content) continue;
      const target = path.posix.join(input.image.home, '.kube', inside.length === 0 ? 'config' : `config-${inside.length + 1}`);
      out.files.push({ path: target, content, mode: 0o600, secret: true });
      inside.push(target);
      out.notes.push(`kubeconfig: ${file} copied to ${target} (mode 0600)`);
    }
    if (inside.length > 0) {
      out.extraEnv.KUBECONFIG = inside.join(':');
      if (env.WERF_KUBECONFIG) out.extraEnv.WERF_KUBECONFIG = inside.join(':');
    }
  }

  if (input.forward.sshAgent && env.SSH_AUTH_SOCK) {
    const socket = env.SSH_AUTH_SOCK;
    const facts = probe(socket);
    if (facts?.kind !== 'socket') {
      out.warnings.push(`SSH_AUTH_SOCK is ${socket}, which is not a socket on this host: the ssh-agent is not forwarded`);
    } else if (!input.engineLocal) {
      // A socket is a live connection to a process on this machine: an archive cannot carry it, and a bind mount would name the engine host's path.
      out.warnings.push(
        `the ssh-agent (SSH_AUTH_SOCK=${socket}) is not forwarded: it is a socket on this machine and the engine at ${input.engineUrl ?? 'its endpoint'} runs on another host. Fix: run werf-run on the engine's host, or let werf fetch git over https with a token (or with WERF_SSH_KEY naming a key inside the container), or set forward.sshAgent to false to silence this`,
      );
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

export const readBytes = (file: string): Buffer => readFileSync(file);

/**
 * config.mountDockerSocket: the engine's own unix socket and its group, read on
 * this machine. Only a local unix-socket engine can be handed to werf this way.
 */
export function dockerSocketToMount(endpointUrl: string): { path: string; gid: number } {
  const url = new URL(endpointUrl);
  if (url.protocol !== 'unix:') {
    throw new UsageError(
      `mountDockerSocket is set but the engine is at ${endpointUrl}, not a local unix socket`,
      'unset mountDockerSocket, or point werf-run at a local engine (unix://...)',
    );
  }
  const socket = decodeURIComponent(url.pathname);
  let stat;
  try {
    stat = statSync(socket);
  } catch (error) {
    throw new WerfRunError(`mountDockerSocket: cannot read ${socket}: ${(error as Error).message}`, { remedy: 'check that the engine runs there', cause: error });
  }
  if (!stat.isSocket()) throw new UsageError(`mountDockerSocket: ${socket} is not a socket`, 'point werf-run at the engine\'s socket');
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
