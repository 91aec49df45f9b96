/**
 * The /etc/subuid and /etc/subgid werf-run hands into the werf container when
 * the daemon's ids are too few for the image's own ranges (detect/id-range.ts
 * decides the ranges). Root-owned and world-readable like the image's; they
 * replace the image's files, so only the image user's lines are in them.
 */
import type { InjectedFile } from './files.js';

export interface SubIdRanges {
  user: string;
  subuid: readonly { start: number; count: number }[];
  subgid: readonly { start: number; count: number }[];
}

const lines = (user: string, ranges: SubIdRanges['subuid']): Buffer =>
  Buffer.from(ranges.map((r) => `${user}:${r.start}:${r.count}\n`).join(''));

export function subIdFiles(ranges: SubIdRanges | undefined): InjectedFile[] {
  if (!ranges) return [];
  return [
    { path: '/etc/subuid', content: lines(ranges.user, ranges.subuid), mode: 0o644, uid: 0, gid: 0 },
    { path: '/etc/subgid', content: lines(ranges.user, ranges.subgid), mode: 0o644, uid: 0, gid: 0 },
  ];
}
