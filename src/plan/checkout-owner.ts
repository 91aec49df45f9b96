/**
 * Who werf runs as: the checkout's owner. werf writes into the checkout (a
 * `git worktree add` in its git dir for every uncached git archive, build
 * reports, --dev's commit: werf pkg/true_git/work_tree.go, service_branch.go,
 * cmd/werf/common/common.go), so a werf of another uid fails on a checkout
 * mode 0755 (`could not create leading directories of '.git/worktrees/...':
 * Permission denied`) or leaves files the owner cannot remove. Pure: the
 * owner's uid and gid (stat of the checkout on the engine's host) in, the
 * image user and what to hand in for it out.
 */
import { ExitCode, WerfRunError } from '../errors.js';
import type { ArchiveEntry, InjectedFile } from './files.js';
import { imageUser, storageDir, werfHomeDir, type ImageUser } from './contract.js';

/** A user the image lacks, added through the archive API before werf starts. */
export interface AddedUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  /** Its subordinate id range (after the image's build 100000-165535 and build1001 165536-231071). */
  subStart: number;
  subCount: number;
}

export interface WerfUser {
  /** The value for config.user (what plan() runs werf as). */
  user: string;
  who: ImageUser;
  addUser?: AddedUser;
  note: string;
}

/** The image's own ranges end here (werf's images and the rig's: build and build1001, 65536 each). */
const FIRST_FREE_SUBID = 231072;
const SUBID_COUNT = 65536;

/**
 * The image user for a checkout owned by `owner` (undefined: not known here,
 * e.g. the files are shipped or the engine is remote: the image contract's
 * build). An explicit `user` in the config always wins.
 */
export function werfUserFor(
  owner: { uid: number; gid: number } | undefined,
  configured: string | undefined,
  root: string,
  werfArgs: readonly string[] = ['build'],
): WerfUser {
  if (configured !== undefined)
    return { user: configured, who: imageUser(configured), note: `werf runs as ${configured} (user in the config)` };
  if (owner === undefined || owner.uid === 1000) {
    return {
      user: 'build',
      who: imageUser(undefined),
      note: owner ? `werf runs as build (uid 1000, the owner of ${root})` : 'werf runs as build (uid 1000, the image contract)',
    };
  }
  if (owner.uid === 1001)
    return {
      user: 'build1001',
      who: imageUser('build1001'),
      note: `werf runs as build1001 (uid 1001, the owner of ${root}; the image's own second user)`,
    };
  if (owner.uid === 0) {
    if (writesCheckout(werfArgs)) throw rootOwnedError(root);
    return {
      user: 'build',
      who: imageUser(undefined),
      note: `werf runs as build (uid 1000): ${root} belongs to root, which werf ${werfArgs[0] ?? ''} only reads`,
    };
  }
  const name = `werf${owner.uid}`;
  const home = `/home/${name}`;
  const addUser: AddedUser = { name, uid: owner.uid, gid: owner.gid, home, subStart: FIRST_FREE_SUBID, subCount: SUBID_COUNT };
  const user = `${owner.uid}:${owner.gid}`;
  return {
    user,
    who: { user, home, uid: owner.uid },
    addUser,
    note: `werf runs as uid ${owner.uid} (the owner of ${root}), added to the image as ${name} with home ${home}`,
  };
}

/** A range of subordinate ids (/etc/subuid, /etc/subgid): `start` on the host, `count` of them. */
export interface SubIdRange {
  start: number;
  count: number;
}

/** The user that runs a rootless engine on this machine, and its subordinate ids. */
export interface RootlessDaemonIds {
  uid: number;
  gid: number;
  name?: string;
  subuids: readonly SubIdRange[];
  subgids: readonly SubIdRange[];
}

/** The ranges of `name` (or its uid) in /etc/subuid or /etc/subgid text, in file order. */
export function subIdRanges(text: string, name: string | undefined, uid: number): SubIdRange[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(':'))
    .filter(([who, start, count]) => (who === name || who === String(uid)) && /^\d+$/.test(start ?? '') && /^\d+$/.test(count ?? ''))
    .map(([, start, count]) => ({ start: Number(start), count: Number(count) }));
}

/** The name and primary group of `uid` in /etc/passwd text. */
export function passwdEntry(passwd: string, uid: number): { name: string; gid: number } | undefined {
  const fields = passwd
    .split('\n')
    .map((line) => line.split(':'))
    .find((f) => f[2] === String(uid) && /^\d+$/.test(f[3] ?? ''));
  return fields ? { name: fields[0]!, gid: Number(fields[3]) } : undefined;
}

/**
 * A host id as a rootless engine's user namespace sees it: the daemon's own id
 * is 0, its subordinate ranges follow from 1 in file order (rootlesskit and
 * Podman map `0 <uid> 1` then each /etc/subuid range); any other id is not
 * mapped (a container sees it as nobody, 65534). Undefined: not mapped.
 */
export function idInNamespace(hostId: number, own: number, ranges: readonly SubIdRange[]): number | undefined {
  if (hostId === own) return 0;
  let next = 1;
  for (const range of ranges) {
    if (hostId >= range.start && hostId < range.start + range.count) return next + hostId - range.start;
    next += range.count;
  }
  return undefined;
}

const describeRanges = (ranges: readonly SubIdRange[]): string =>
  ranges.length === 0 ? 'none' : ranges.map((r) => `${r.start}-${r.start + r.count - 1}`).join(', ');

/**
 * Who werf runs as on a rootless engine (rootless Docker, rootless Podman) on
 * this machine, for a checkout owned by `owner` (host ids). The container's
 * uids are the daemon's user namespace's: uid 0 there IS the daemon's user on
 * this host, so a checkout of that user (the usual case: a laptop user runs
 * their own rootless engine) is written by werf running as root in the
 * container, which is no privilege beyond that user's own. As root werf's
 * buildah keeps its storage in /var/lib/containers (contract.ts storageDir),
 * on a volume of its own (volumesFor(..., 0)). A checkout owned by one of the
 * daemon's subordinate ids runs as that uid of the namespace; one owned by a
 * host id the namespace does not map cannot be written from the container.
 */
export function werfUserOnRootless(
  owner: { uid: number; gid: number },
  daemon: RootlessDaemonIds,
  configured: string | undefined,
  root: string,
  werfArgs: readonly string[] = ['build'],
): WerfUser {
  if (configured !== undefined) return werfUserFor(owner, configured, root, werfArgs);
  const uid = idInNamespace(owner.uid, daemon.uid, daemon.subuids);
  const gid = idInNamespace(owner.gid, daemon.gid, daemon.subgids);
  const daemonName = daemon.name ? `${daemon.name} (uid ${daemon.uid})` : `uid ${daemon.uid}`;
  if (uid === 0)
    return {
      user: '0:0',
      who: imageUser('0:0'),
      note: `werf runs as root of the rootless engine's user namespace: ${root} belongs to ${daemonName}, who runs the engine and is uid 0 in its containers (no privilege on this host beyond that user's)`,
    };
  if (uid === undefined) {
    if (writesCheckout(werfArgs)) throw rootlessUnmappedError(root, owner.uid, daemon, daemonName);
    return {
      user: 'build',
      who: imageUser(undefined),
      note: `werf runs as build (uid 1000): ${root} belongs to uid ${owner.uid}, which the rootless engine does not map, and werf ${werfArgs[0] ?? ''} only reads it`,
    };
  }
  const chosen = werfUserFor({ uid, gid: gid ?? uid }, undefined, root, werfArgs);
  return {
    ...chosen,
    note: `${chosen.note} (host uid ${owner.uid}, a subordinate id of ${daemonName}, is uid ${uid} in the rootless engine)`,
  };
}

/** A checkout the rootless engine's containers see as nobody's: werf cannot write it, whoever it runs as. */
function rootlessUnmappedError(root: string, uid: number, daemon: RootlessDaemonIds, daemonName: string): WerfRunError {
  return new WerfRunError(
    `the checkout ${root} belongs to uid ${uid}, which the rootless engine's user namespace does not map (it maps ${daemonName} to root and the subordinate ids ${describeRanges(daemon.subuids)}): werf writes into the checkout (git worktree add in its .git, build reports), and in its container the checkout is nobody's, so it would fail with "Permission denied"`,
    {
      exitCode: ExitCode.usage,
      remedy: `give the checkout to the engine's user: chown -R ${daemon.uid}:${daemon.gid} ${root}; or run werf-run against an engine uid ${uid} can use (its own rootless engine, or the system's Docker Engine)`,
    },
  );
}

/**
 * werf commands that write into the checkout: every one that builds or
 * computes image digests prepares git worktrees (werf cmd/werf/<command>
 * calls GetGitWorkTree and builds through pkg/build), and --dev commits.
 * Others (version, config render, helm secret, kubectl, ...) only read it.
 */
const WRITING_COMMANDS = new Set(['build', 'converge', 'plan', 'render', 'run', 'kube-run', 'bundle', 'export', 'compose']);
export const writesCheckout = (werfArgs: readonly string[]): boolean => {
  const command = werfArgs.find((a) => !a.startsWith('-'));
  return (
    command === undefined || WRITING_COMMANDS.has(command) || werfArgs.includes('--dev') || werfArgs.some((a) => a.startsWith('--save-'))
  );
};

/**
 * A root-owned checkout: werf would need root in its container, and rootless
 * buildah cannot build as root there without privileges. Nothing works
 * without more privilege, so werf-run stops before werf starts.
 */
function rootOwnedError(root: string): WerfRunError {
  return new WerfRunError(
    `the checkout ${root} belongs to root (uid 0): werf writes into it (git worktree add in its .git, build reports) and runs as an unprivileged user in its container, so it would fail with "Permission denied"`,
    {
      exitCode: ExitCode.usage,
      remedy: `give the checkout to the user werf runs as: chown -R 1000:1000 ${root} (for root's own git commands there afterwards: git config --global --add safe.directory ${root}); or check it out as a non-root user`,
    },
  );
}

/** Cache volumes per uid, so one user's files never block another's: build (1000) keeps the configured names. */
export function volumesFor(volumes: { storage: string; werfHome: string }, uid: number | undefined): { storage: string; werfHome: string } {
  if (uid === undefined || uid === 1000) return volumes;
  return { storage: `${volumes.storage}-uid${uid}`, werfHome: `${volumes.werfHome}-uid${uid}` };
}

const withLine = (text: string, line: string): Buffer => Buffer.from(`${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`);

/** The image's /etc/passwd, group, subuid and subgid with the added user's lines (root-owned 0644, as the image's). */
export function addedUserFiles(user: AddedUser, image: { passwd: string; group: string; subuid: string; subgid: string }): InjectedFile[] {
  const root = { mode: 0o644, uid: 0, gid: 0 };
  const hasGroup = image.group.split('\n').some((l) => l.split(':')[2] === String(user.gid));
  return [
    { path: '/etc/passwd', content: withLine(image.passwd, `${user.name}:x:${user.uid}:${user.gid}::${user.home}:/bin/sh`), ...root },
    { path: '/etc/group', content: hasGroup ? Buffer.from(image.group) : withLine(image.group, `${user.name}:x:${user.gid}:`), ...root },
    { path: '/etc/subuid', content: withLine(image.subuid, `${user.name}:${user.subStart}:${user.subCount}`), ...root },
    { path: '/etc/subgid', content: withLine(image.subgid, `${user.name}:${user.subStart}:${user.subCount}`), ...root },
  ];
}

/** The added user's home and the volume roots in it, owned by the user (the engine creates the mount points root-owned). */
export function addedUserDirs(user: AddedUser): ArchiveEntry[] {
  const storage = storageDir(user.home);
  const dirs = [user.home, werfHomeDir(user.home), `${user.home}/.local`, `${user.home}/.local/share`, storage];
  return dirs.map((dir) => ({ type: 'directory', name: dir.slice(1), mode: 0o755, uid: user.uid, gid: user.gid }));
}

/**
 * The entries werf's `git worktree add` left in the checkout's git dir
 * (`<git dir>/worktrees/<name>/gitdir` names `<werf home>/local_cache/git_worktrees/.../worktree/.git`,
 * werf pkg/true_git/work_tree.go:267): their path is in the container's
 * volume, which this host lacks, so the host's git lists them as prunable
 * and `git gc` would prune them later. werf-run removes them after the run;
 * werf re-registers its cached worktree the next time (work_tree.go:141-161
 * drops an unregistered one and adds it again).
 */
export function werfWorktreeEntries(
  entries: readonly { name: string; gitdir: string }[],
  home: string,
  existsHere: (file: string) => boolean,
): string[] {
  const prefix = `${werfHomeDir(home)}/local_cache/git_worktrees/`;
  return entries.filter((e) => e.gitdir.trim().startsWith(prefix) && !existsHere(e.gitdir.trim())).map((e) => e.name);
}
