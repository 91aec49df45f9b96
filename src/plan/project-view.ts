/**
 * What the engine's host sees at the project's path, asked through the engine
 * itself: a tiny container in the werf image, as the image user, with the
 * project bind-mounted read-only at its own path, enters each directory of
 * the path, reads the root, hashes a few files and asks git for HEAD. The
 * same answer as here means the bind mount shows this checkout; no such path
 * or other content means the files must be shipped; no access is an error
 * with its fix. Pure: the script, the parsing and the decision.
 */
import path from 'node:path';
import { hostPaths, type HostPaths } from './host-path.js';
import { bindRefusal, type LaptopProduct } from './laptop.js';

/** What this machine knows of the checkout, to compare with the engine's view. */
export interface ProjectMarker {
  root: string;
  /** A few small regular files at the root, relative, with their sha256. */
  files: { name: string; sha256: string }[];
  /** git's HEAD commit, or "none" outside git. */
  head: string;
}

export type ProjectView =
  | { kind: 'same' }
  /** The engine's host has no such path, or other content there; `note` names a setting that would let it see the checkout (plan/laptop.ts). */
  | { kind: 'elsewhere'; why: string; note?: string }
  /** The path is there but the image user cannot enter or read it. */
  | { kind: 'denied'; dir: string; need: 'enter' | 'read'; mode?: string; uid?: number };

/** Up to `max` regular, non-empty files of at most 1 MiB at the root, by name: enough to tell two checkouts apart cheaply. */
export function pickMarkerFiles(entries: readonly { name: string; isFile: boolean; size: number }[], max = 3): string[] {
  return entries
    .filter((e) => e.isFile && e.size > 0 && e.size <= 1 << 20 && !e.name.includes('\n'))
    .map((e) => e.name)
    .sort()
    .slice(0, max);
}

/** Each directory from / down to the root's parent (a path in the container): the image user must be able to enter them. */
export function parentChain(root: string): string[] {
  const dirs: string[] = [];
  for (let dir = path.posix.dirname(path.posix.resolve(root)); ; dir = path.posix.dirname(dir)) {
    dirs.unshift(dir);
    if (dir === '/') break;
  }
  return dirs;
}

const TAG = 'werf-run-view';

/** `sh -c SCRIPT sh ROOT PARENT... -- FILE...`: prints tagged lines only. `test -x/-r` ask the kernel (access(2)), so ACLs count. */
export const PROJECT_VIEW_SCRIPT = [
  'root="$1"; shift',
  'while [ "$1" != "--" ]; do',
  `  [ -x "$1" ] || { echo "${TAG} denied enter $1 $(stat -c '%a %u' "$1" 2>/dev/null)"; exit 0; }`,
  '  shift',
  'done',
  'shift',
  `{ [ -r "$root" ] && [ -x "$root" ] && ls -A "$root" >/dev/null 2>&1; } || { echo "${TAG} denied read $root $(stat -c '%a %u' "$root" 2>/dev/null)"; exit 0; }`,
  'cd "$root" || exit 0',
  'for f in "$@"; do',
  `  if [ ! -f "$f" ]; then echo "${TAG} nofile - $f"; elif [ -r "$f" ]; then echo "${TAG} file $(sha256sum < "$f" | cut -d' ' -f1) $f"; else echo "${TAG} noread - $f"; fi`,
  'done',
  // An image without git (a test double) cannot tell HEAD: the files decide alone.
  `if command -v git >/dev/null 2>&1; then echo "${TAG} head $(git -c safe.directory='*' rev-parse -q --verify HEAD 2>/dev/null || echo none)"; else echo "${TAG} head nogit"; fi`,
].join('\n');

/** The script's arguments: the root where the container sees it (host-path.ts), its parents, the marker files. */
export function projectViewArgs(marker: ProjectMarker, hp: HostPaths = hostPaths('posix')): string[] {
  const root = hp.inContainer(marker.root);
  return [root, ...parentChain(root), '--', ...marker.files.map((f) => f.name)];
}

/** The container's answer, compared with this machine's marker. */
export function parseProjectView(output: string, marker: ProjectMarker): ProjectView {
  const lines = output
    .split('\n')
    .filter((l) => l.startsWith(`${TAG} `))
    .map((l) => l.slice(TAG.length + 1));
  const denied = lines.find((l) => l.startsWith('denied '));
  if (denied) {
    const [, need, dir, mode, uid] = /^denied (enter|read) (.*?)(?: (\d+) (\d+))?$/.exec(denied) ?? [];
    return {
      kind: 'denied',
      need: need === 'read' ? 'read' : 'enter',
      dir: dir ?? marker.root,
      mode,
      uid: uid === undefined ? undefined : Number(uid),
    };
  }
  const head = lines.find((l) => l.startsWith('head '))?.slice(5);
  if (head === undefined)
    return { kind: 'elsewhere', why: `the check printed nothing usable: ${output.trim().slice(0, 200) || '(no output)'}` };
  if (head !== marker.head && head !== 'nogit') return { kind: 'elsewhere', why: `git HEAD there is ${head}, here ${marker.head}` };
  for (const file of marker.files) {
    const line = lines.find((l) => l.endsWith(` ${file.name}`) && /^(file|nofile|noread) /.test(l));
    // There, but the image user may not read it (werf may not need it): it cannot tell the checkouts apart.
    if (line?.startsWith('noread ')) continue;
    const seen = line?.startsWith('file ') ? line.split(' ')[1] : undefined;
    if (seen !== file.sha256) return { kind: 'elsewhere', why: `${file.name} ${seen ? 'differs' : 'is missing'} there` };
  }
  return { kind: 'same' };
}

/** The message for a project the image user cannot reach on the engine's host, with a fix that fits where the fix must be made. */
export function deniedMessage(
  view: Extract<ProjectView, { kind: 'denied' }>,
  root: string,
  uid: number | undefined,
  thisHost: boolean,
): { message: string; remedy: string } {
  const who = uid === undefined ? "the werf image's user" : `uid ${uid}, the werf image's user,`;
  const what = view.need === 'read' ? 'read and enter' : 'enter';
  const facts = view.mode ? ` (mode 0${view.mode}, owner uid ${view.uid})` : '';
  const bits = view.need === 'read' ? 'rx' : 'x';
  const where = thisHost ? '' : " on the engine's host (as that host maps uids)";
  return {
    message: `${who} cannot ${what} ${view.dir}${facts}${where}, so werf cannot read the project ${root}`,
    remedy:
      uid === undefined
        ? `give the image's user access to ${view.dir}${where}, or move the checkout to a directory it can read`
        : `give uid ${uid} access${where}: setfacl -m u:${uid}:${bits} ${view.dir} (or chmod o+${bits} ${view.dir}), or move the checkout to a directory it can read`,
  };
}

/** An engine's refusal of the project's bind mount (no such path on its host, a VM that does not share it) as the view it shows; undefined for any other error. */
export function refusedView(
  message: string,
  root: string,
  product?: LaptopProduct,
): Extract<ProjectView, { kind: 'elsewhere' }> | undefined {
  const refused = bindRefusal(message, root, product);
  if (!refused) return undefined;
  return {
    kind: 'elsewhere',
    why: `${refused.why} (${message.replace(/^.*failed: /, '').replace(/\s*\n\s*/g, ' ')})`,
    ...(refused.note ? { note: refused.note } : {}),
  };
}
