/**
 * The host-side reading plan() must not do: which credentials exist on this
 * machine (Docker config, kubeconfig, ssh-agent socket), where they go in the
 * container, and whether the image's user can read them and the project.
 * `forwardHostFiles` decides from facts given to it (tests pass a fake
 * `probe`); `probeFile` is the real fs.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError, WerfRunError, errorMessage } from '../errors.js';
import type { Config } from '../config/schema.js';
import type { InjectedFile } from '../plan/files.js';
import { imageUser } from '../plan/contract.js';

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
export function allows(facts: FileFacts, uid: number, gid: number, want: number): boolean {
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
}

export interface Forwarded {
  readOnlyFiles: { source: string; target: string }[];
  extraEnv: Record<string, string>;
  /** Host variables not to pass (they name files that are not forwarded). */
  drop: string[];
  /** What was mounted or skipped and why (for --verbose and --dry-run). */
  notes: string[];
  warnings: string[];
}

export const SSH_AGENT_TARGET = '/tmp/werf-run-ssh-agent.sock';
export const SSH_KEYS_DIR = '/tmp/werf-run-ssh-keys';

function unreadable(facts: FileFacts, input: ForwardInput, want: number): boolean {
  const { uid, gid } = input.image;
  return uid !== undefined && !allows(facts, uid, gid ?? uid, want);
}

function permissionWarning(file: string, facts: FileFacts, input: ForwardInput, what: string, consequence: string): string {
  return `${file} (mode ${octal(facts.mode)}, owner uid ${facts.uid}) cannot be ${what} by uid ${input.image.uid}, the werf image's user: ${consequence}. Fix: setfacl -m u:${input.image.uid}:${what === 'read' ? 'r' : 'rw'} ${file}`;
}

export function forwardHostFiles(input: ForwardInput): Forwarded {
  const out: Forwarded = { readOnlyFiles: [], extraEnv: {}, drop: [], notes: [], warnings: [] };
  const { env, probe } = input;

  // Registry credentials are not mounted: cli/registry-auths.ts hands werf a generated config.json.

  // WERF_SSH_KEY_<NAME>=<host path> (werf's --ssh-key defaults, cmd/werf/common/common.go): each file forwarded read-only.
  for (const [name, value] of Object.entries(env).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!/^WERF_SSH_KEY_.+/.test(name) || !value) continue;
    const facts = probe(value);
    if (facts?.kind !== 'file') {
      out.warnings.push(`${name} names ${value}, which is not a file on this host: not forwarded, werf will not have that key`);
      out.drop.push(name);
      continue;
    }
    const target = path.posix.join(SSH_KEYS_DIR, name.slice('WERF_SSH_KEY_'.length));
    out.readOnlyFiles.push({ source: value, target });
    out.extraEnv[name] = target;
    out.notes.push(`${name}: ${value} mounted read-only at ${target}`);
    if (unreadable(facts, input, 4)) out.warnings.push(permissionWarning(value, facts, input, 'read', 'werf cannot use that ssh key'));
  }

  // Kubeconfigs are not mounted: cli/kube-access.ts hands werf one flattened kubeconfig.

  if (input.forward.sshAgent && env.SSH_AUTH_SOCK) {
    const socket = env.SSH_AUTH_SOCK;
    const facts = probe(socket);
    if (facts?.kind === 'socket') {
      // Read-only does not stop connect(2) on a socket; it only keeps the file from being replaced.
      out.readOnlyFiles.push({ source: socket, target: SSH_AGENT_TARGET });
      out.extraEnv.SSH_AUTH_SOCK = SSH_AGENT_TARGET;
      out.notes.push(`ssh-agent: ${socket} forwarded as ${SSH_AGENT_TARGET}`);
      if (unreadable(facts, input, 2)) out.warnings.push(permissionWarning(socket, facts, input, 'written', 'git over ssh will find no keys'));
    } else {
      out.warnings.push(`SSH_AUTH_SOCK is ${socket}, which is not a socket on this host: the ssh-agent is not forwarded`);
    }
  }
  return out;
}

/**
 * The project must be readable by the image's user: werf reads the whole git
 * tree. A checkout in a 0700 directory owned by another user (e.g. root's
 * home) is not, and werf's own error would not say why.
 */
export function checkProjectAccess(root: string, image: { uid?: number; gid?: number }, probe: Probe): void {
  if (image.uid === undefined) return;
  const uid = image.uid;
  const gid = image.gid ?? uid;
  const chain: string[] = [];
  for (let dir = path.resolve(root); ; dir = path.dirname(dir)) {
    chain.unshift(dir);
    if (path.dirname(dir) === dir) break;
  }
  for (const dir of chain) {
    const facts = probe(dir);
    if (!facts) continue;
    const want = dir === chain[chain.length - 1] ? 5 : 1;
    if (!allows(facts, uid, gid, want)) {
      const need = want === 5 ? 'read and enter' : 'enter';
      throw new WerfRunError(
        `uid ${uid}, the werf image's user, cannot ${need} ${dir} (mode ${octal(facts.mode)}, owner uid ${facts.uid}), so werf cannot read the project ${root}`,
        {
          remedy: `give uid ${uid} access: setfacl -m u:${uid}:${want === 5 ? 'rx' : 'x'} ${dir} (or chmod o+${want === 5 ? 'rx' : 'x'} ${dir}), or move the checkout to a directory it can read`,
        },
      );
    }
  }
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

/** Docker Desktop's bridge to the host's ssh-agent, inside its VM (werf: pkg/container_backend/utils.go SSHHostAuthSockPath). */
export const DESKTOP_SSH_AUTH_SOCK = '/run/host-services/ssh-auth.sock';

/**
 * On Docker Desktop the host's SSH_AUTH_SOCK path does not exist where the
 * daemon runs (its VM): the agent is forwarded from Desktop's own bridge.
 */
export function useDesktopSshAgent(forwarded: Forwarded): Forwarded {
  if (!forwarded.readOnlyFiles.some((f) => f.target === SSH_AGENT_TARGET)) return forwarded;
  return {
    ...forwarded,
    readOnlyFiles: forwarded.readOnlyFiles.map((f) => (f.target === SSH_AGENT_TARGET ? { source: DESKTOP_SSH_AUTH_SOCK, target: DESKTOP_SSH_AUTH_SOCK } : f)),
    extraEnv: { ...forwarded.extraEnv, SSH_AUTH_SOCK: DESKTOP_SSH_AUTH_SOCK },
    notes: [...forwarded.notes, `ssh-agent: the engine is Docker Desktop, so its agent bridge ${DESKTOP_SSH_AUTH_SOCK} is forwarded instead`],
    // Permission checks of the host's socket say nothing about Desktop's bridge.
    warnings: forwarded.warnings.filter((w) => !w.includes('git over ssh will find no keys')),
  };
}

/** The user's and the system's known_hosts, handed in so git over ssh can verify hosts ("Host key verification failed" otherwise). */
export function knownHostsFiles(input: { hostHome: string; home: string; read: (file: string) => Buffer | undefined }): { files: InjectedFile[]; notes: string[] } {
  const files: InjectedFile[] = [];
  const notes: string[] = [];
  const pairs = [
    { source: path.join(input.hostHome, '.ssh', 'known_hosts'), target: path.posix.join(input.home, '.ssh', 'known_hosts'), root: false },
    { source: '/etc/ssh/ssh_known_hosts', target: '/etc/ssh/ssh_known_hosts', root: true },
  ];
  for (const { source, target, root } of pairs) {
    const content = input.read(source);
    if (!content) continue;
    files.push({ path: target, content, mode: 0o644, ...(root ? { uid: 0, gid: 0 } : {}) });
    notes.push(`ssh: ${source} handed in as ${target}`);
  }
  return { files, notes };
}

/** A file's bytes, or undefined when it does not exist; other errors name the file. */
export const readFileIfExists = (file: string): Buffer | undefined => {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new UsageError(`cannot read ${file}: ${errorMessage(error)}`, `make ${file} readable by this user`, error);
  }
};
