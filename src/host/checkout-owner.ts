/**
 * The checkout's owner on this machine, and the git worktree entries werf
 * left in it (plan/checkout-owner.ts decides; this file reads and removes).
 */
import { existsSync } from 'node:fs';
import { fsp } from '../files.js';
import path from 'node:path';
import { passwdEntry, subIdRanges, werfWorktreeEntries, type RootlessDaemonIds } from '../plan/checkout-owner.js';

/** uid and gid of the checkout's root, or undefined when it cannot be read. */
export async function checkoutOwner(root: string): Promise<{ uid: number; gid: number } | undefined> {
  const s = await fsp.stat(root).catch(() => undefined);
  return s ? { uid: s.uid, gid: s.gid } : undefined;
}

/**
 * The user running a rootless engine on this machine: the owner of its unix
 * socket (rootless Docker's $XDG_RUNTIME_DIR/docker.sock, Podman's
 * $XDG_RUNTIME_DIR/podman/podman.sock are created by the daemon), its name and
 * its primary group and subordinate ids. Undefined when the socket cannot be read.
 */
export async function rootlessDaemonIds(endpointUrl: string, etc = '/etc'): Promise<RootlessDaemonIds | undefined> {
  const socket = /^unix:\/\/(\/.+)$/.exec(endpointUrl)?.[1];
  const s = socket ? await fsp.stat(socket).catch(() => undefined) : undefined;
  if (!s) return undefined;
  const read = (file: string): Promise<string> => fsp.readText(path.join(etc, file)).catch(() => '');
  const [passwd, subuid, subgid] = await Promise.all([read('passwd'), read('subuid'), read('subgid')]);
  // The user's primary group from passwd: the socket's group may be another (dockerd gives it group docker when it can).
  const entry = passwdEntry(passwd, s.uid);
  const name = entry?.name;
  return {
    uid: s.uid,
    gid: entry?.gid ?? s.gid,
    name,
    subuids: subIdRanges(subuid, name, s.uid),
    subgids: subIdRanges(subgid, name, s.uid),
  };
}

/** Removes werf's worktree entries from each git dir's worktrees/ (the main .git and, for worktrees and submodules, the dirs they name); returns what it removed or could not. */
export async function removeWerfWorktreeEntries(
  gitDirs: readonly string[],
  home: string,
): Promise<{ removed: string[]; failed: string[] }> {
  const removed: string[] = [];
  const failed: string[] = [];
  for (const gitDir of new Set(gitDirs)) {
    const dir = path.join(gitDir, 'worktrees');
    const names = await fsp.readdir(dir).catch(() => [] as string[]);
    const entries = await Promise.all(
      names.map(async (name) => ({ name, gitdir: await fsp.readText(path.join(dir, name, 'gitdir')).catch(() => '') })),
    );
    for (const name of werfWorktreeEntries(entries, home, existsSync)) {
      const entry = path.join(dir, name);
      await fsp.rm(entry, { recursive: true, force: true }).then(
        () => removed.push(entry),
        () => failed.push(entry),
      );
    }
    // An empty worktrees/ is what git leaves after `git worktree prune` too.
  }
  return { removed, failed };
}
