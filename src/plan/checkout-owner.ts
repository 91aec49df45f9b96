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
