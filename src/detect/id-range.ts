/**
 * The id range (pure): whether the uids and gids a container gets from its
 * daemon cover what buildah inside needs for the image's user. buildah maps
 * the user itself to root and its /etc/subuid (/etc/subgid) ranges to 1..N
 * with newuidmap; every id it names must exist in the container's user
 * namespace. An ordinary daemon gives containers all 2^32 ids; a rootless one
 * (rootlesskit, rootless Podman) only 1 + the subordinate ids of the user that
 * runs it (usually 65536), while werf's images give `build` 100000-165535.
 */
import type { EngineProduct } from '../engine/port.js';

/** One line of /proc/self/uid_map: ids inside from `inside` on map to `outside`, `count` of them. */
export interface IdMapEntry {
  inside: number;
  outside: number;
  count: number;
}

export interface SubRange {
  start: number;
  count: number;
}

/** What the probe saw, for uids or gids. */
export interface IdSide {
  /** The image user's own id (uid or primary gid). */
  own: number;
  /** The container's /proc/self/uid_map or gid_map. */
  map: IdMapEntry[];
  /** The image's /etc/subuid or /etc/subgid ranges for the user (by name or id). */
  sub: SubRange[];
}

/** The fact `idRange`: enough or too small, with the numbers. */
export interface IdRange {
  enough: boolean;
  user: string;
  /** Ids 0..available-1 exist in the container (the contiguous part from 0 of its map). */
  uids: { available: number; needed: number; own: number; sub: SubRange[] };
  gids: { available: number; needed: number; own: number; sub: SubRange[] };
}

/** "0 0 4294967295" lines (or one line of triples) -> entries; malformed input gives undefined. */
export function parseIdMap(text: string): IdMapEntry[] | undefined {
  const numbers = text.trim().split(/\s+/).filter(Boolean);
  if (numbers.length === 0 || numbers.length % 3 !== 0 || numbers.some((n) => !/^\d+$/.test(n))) return undefined;
  const out: IdMapEntry[] = [];
  for (let i = 0; i < numbers.length; i += 3)
    out.push({ inside: Number(numbers[i]), outside: Number(numbers[i + 1]), count: Number(numbers[i + 2]) });
  return out;
}

/** "100000:65536 200000:10" (start:count pairs) -> ranges; malformed pairs are skipped. */
export function parseSubRanges(text: string): SubRange[] {
  const out: SubRange[] = [];
  for (const pair of text.trim().split(/\s+/)) {
    const match = /^(\d+):(\d+)$/.exec(pair);
    if (match) out.push({ start: Number(match[1]), count: Number(match[2]) });
  }
  return out;
}

/** How many ids from 0 on exist in the container without a gap (a map's ranges may come in any order). */
export function availableIds(map: readonly IdMapEntry[]): number {
  const ranges = [...map].sort((a, b) => a.inside - b.inside);
  let end = 0;
  for (const r of ranges) {
    if (r.inside > end) break;
    end = Math.max(end, r.inside + r.count);
  }
  return end;
}

/** The ids buildah needs for the user: its own and every subordinate one; `needed` = the highest + 1. */
export function neededIds(side: Pick<IdSide, 'own' | 'sub'>): number {
  return Math.max(side.own + 1, ...side.sub.map((r) => r.start + r.count));
}

export function idRange(user: string, uids: IdSide, gids: IdSide): IdRange {
  const side = (s: IdSide) => ({ available: availableIds(s.map), needed: neededIds(s), own: s.own, sub: s.sub });
  const u = side(uids);
  const g = side(gids);
  return { enough: u.available >= u.needed && g.available >= g.needed, user, uids: u, gids: g };
}

const rangesText = (sub: readonly SubRange[]): string =>
  sub.length ? sub.map((r) => `${r.start}-${r.start + r.count - 1}`).join(', ') : 'none';

/** The numbers, for doctor and --verbose: "uids 0-65536 in the container, build needs up to 165535 (uid 1000, /etc/subuid 100000-165535); gids ...". */
export function describeIdRange(r: IdRange): string {
  const part = (name: 'uid' | 'gid', s: IdRange['uids']): string =>
    `${name}s 0-${s.available - 1} in the container, ${r.user} needs up to ${s.needed - 1} (${name} ${s.own}, /etc/sub${name} ${rangesText(s.sub)})`;
  return `${part('uid', r.uids)}; ${part('gid', r.gids)}`;
}

/**
 * How many subordinate ids the daemon's user needs so that containers get the
 * ids the image's user needs: containers get 1 + that many (the user itself
 * maps to root), so needed - 1 would do; the usual advice (and the issue's
 * numbers: 165536 for werf's build user) is `needed`.
 */
export function requiredSubordinateIds(r: IdRange): number {
  return Math.max(r.uids.needed, r.gids.needed);
}

/**
 * The fix on the daemon's host, naming the numbers: the /etc/subuid and
 * /etc/subgid line to add for the user that runs the daemon, then the restart.
 * Privileged cannot help (a privileged container gets the same id map) and is never suggested.
 */
export function idRangeRemedy(r: IdRange, product: EngineProduct | undefined, daemonUser = '<daemon-user>'): string {
  const count = requiredSubordinateIds(r);
  const restart =
    product === 'podman'
      ? 'then, as that user, run podman system migrate (and restart its podman service)'
      : product === 'docker'
        ? 'then, as that user, restart the rootless daemon: systemctl --user restart docker'
        : 'then restart the rootless daemon (systemctl --user restart docker), or for Podman run podman system migrate';
  return (
    `on the daemon's host, give the user that runs the daemon at least ${count} subordinate ids: in both /etc/subuid and /etc/subgid put the line ` +
    `${daemonUser}:524288:${count} in place of its current one (any start whose range overlaps no other line will do), ${restart}. ` +
    `The privileged mode cannot help: a privileged container gets the same ${r.uids.available} ids`
  );
}

/**
 * The adaptation: an /etc/subuid (or subgid) for the image's user that fits
 * inside the ids the container has: every id from 1 up to the last one but the
 * user's own (buildah maps that one to root itself). Id 0 of the container is
 * left out: mapping it needs CAP_SETFCAP, which newuidmap's file capabilities
 * do not give. Layers can then own ids 0..available-2 (65534, nobody, included
 * with 65537 ids); a layer owning a higher id still fails, with the remedy.
 * Undefined when that is fewer than `minimum` ids.
 */
export function fittingSubRanges(available: number, own: number, minimum = 65536): SubRange[] | undefined {
  const ranges: SubRange[] = [];
  if (own > 1) ranges.push({ start: 1, count: Math.min(own, available) - 1 });
  if (available > own + 1) ranges.push({ start: own + 1, count: available - own - 1 });
  const innerIds = 1 + ranges.reduce((sum, r) => sum + r.count, 0);
  return innerIds >= minimum ? ranges : undefined;
}

/** The ranges werf-run hands in when the daemon's ids are too few for the image's own, or undefined (enough ids, or too few even for this). */
export interface IdAdaptation {
  user: string;
  subuid: SubRange[];
  subgid: SubRange[];
  /** buildah's namespace then has ids 0..innerIds-1. */
  innerIds: number;
}

export function idAdaptation(r: IdRange | undefined): IdAdaptation | undefined {
  if (!r || r.enough) return undefined;
  const subuid = fittingSubRanges(r.uids.available, r.uids.own);
  const subgid = fittingSubRanges(r.gids.available, r.gids.own);
  if (!subuid || !subgid) return undefined;
  const inner = (ranges: SubRange[]): number => 1 + ranges.reduce((sum, x) => sum + x.count, 0);
  return { user: r.user, subuid, subgid, innerIds: Math.min(inner(subuid), inner(subgid)) };
}

/** The /etc/subuid (or subgid) text: one "user:start:count" line per range. */
export function subIdFile(user: string, ranges: readonly SubRange[]): string {
  return ranges.map((x) => `${user}:${x.start}:${x.count}\n`).join('');
}

/** What the user is told each run the adaptation applies: what was done, what it costs, and the fix that needs none. */
export function describeAdaptation(a: IdAdaptation, r: IdRange): string {
  return (
    `the daemon gives containers only ${r.uids.available} uids (${r.gids.available} gids), too few for ${r.user}'s /etc/subuid range ` +
    `${r.uids.sub.map((x) => `${x.start}-${x.start + x.count - 1}`).join(', ') || 'none'}: werf-run hands the werf container an /etc/subuid and /etc/subgid ` +
    `(${subIdFile(a.user, a.subuid).trim().replace(/\n/g, ', ')}) that fit inside them, so buildah has ids 0-${a.innerIds - 1} (file owners are kept as they are); ` +
    `a base image with files owned by a higher id fails`
  );
}
