import { describe, expect, it } from 'vitest';
import {
  describeBytes,
  diffManifests,
  isInsidePath,
  manifestProblem,
  manifestVolumeName,
  parseManifest,
  sameStat,
  sameTree,
  shipLockName,
  shipProgressText,
  shipVolumeName,
  withParents,
  type Manifest,
  type ManifestEntry,
} from './ship.js';

const f = (size: number, mtimeMs = 1, sha256 = `sha${size}`): ManifestEntry => ({ type: 'file', size, mtimeMs, mode: 0o644, sha256 });
const d: ManifestEntry = { type: 'dir', size: 0, mtimeMs: 1, mode: 0o755 };
const manifest = (entries: Record<string, ManifestEntry>, dir = '/p', volume = 'v'): Manifest => ({
  version: 2,
  units: [{ dir, volume, entries }],
});

describe('diffManifests', () => {
  const before = manifest({ '': d, a: f(1), sub: d, 'sub/b': f(2), 'sub/c': f(3), gone: d, 'gone/x': f(1), 'gone/y': f(1) });

  it('first run: everything, parents first', () => {
    expect(diffManifests(undefined, manifest({ '': d, 'sub/b': f(2), sub: d, a: f(1) }))).toEqual({
      send: [['', 'a', 'sub', 'sub/b']],
      remove: [[]],
    });
  });

  it('the next run: only what is new or changed, and the topmost of what is gone', () => {
    const now = manifest({ '': d, a: f(1), sub: d, 'sub/b': f(5), 'sub/c': f(3, 2), 'sub/new': f(1) });
    expect(diffManifests(before, now)).toEqual({ send: [['sub/b', 'sub/c', 'sub/new']], remove: [['gone']] });
  });

  it('a file with only a new mtime and the same content is not sent', () => {
    const now = manifest({ '': d, a: f(1, 9), sub: d, 'sub/b': f(2), 'sub/c': f(3), gone: d, 'gone/x': f(1), 'gone/y': f(1) });
    expect(diffManifests(before, now, (_u, rel, sha) => rel === 'a' && sha === 'sha1').send).toEqual([[]]);
    expect(diffManifests(before, now).send).toEqual([['a']]);
  });

  it('a mode or type change is sent; a manifest for another dir or volume is ignored', () => {
    const now = manifest({
      '': d,
      a: { ...f(1), mode: 0o755 },
      sub: d,
      'sub/b': { type: 'symlink', size: 0, mtimeMs: 1, mode: 0o777, link: 'x' },
      'sub/c': f(3),
      gone: d,
      'gone/x': f(1),
      'gone/y': f(1),
    });
    expect(diffManifests(before, now).send).toEqual([['a', 'sub/b']]);
    expect(diffManifests(before, manifest({ '': d }, '/other')).send).toEqual([['']]);
    expect(diffManifests({ ...before, version: 0 }, manifest({ '': d })).send).toEqual([['']]);
  });
});

describe('sameTree (the no-change test)', () => {
  const before = manifest({ '': d, a: f(1), sub: d, 'sub/b': f(2) });

  it('holds only when every path is there with the same stat data, and no other', () => {
    // The sha256 is not compared (the current scan has none): stat data alone.
    expect(sameTree(before, manifest({ '': d, a: f(1, 1, ''), sub: d, 'sub/b': f(2, 1, '') }))).toBe(true);
    expect(sameTree(before, manifest({ '': d, a: f(1, 2), sub: d, 'sub/b': f(2) }))).toBe(false);
    expect(sameTree(before, manifest({ '': d, a: f(1), sub: d, 'sub/b': f(2), 'sub/new': f(1) }))).toBe(false);
    expect(sameTree(before, manifest({ '': d, a: f(1), sub: d }))).toBe(false);
    expect(sameTree(before, manifest({ '': d, a: { ...f(1), ino: 7 }, sub: d, 'sub/b': f(2) }))).toBe(true);
    expect(sameTree(manifest({ '': d, a: { ...f(1), ino: 6 } }), manifest({ '': d, a: { ...f(1), ino: 7 } }))).toBe(false);
  });

  it('does not hold for another dir, volume, version or number of units, or no previous manifest', () => {
    const now = manifest({ '': d, a: f(1), sub: d, 'sub/b': f(2) });
    expect(sameTree(before, now)).toBe(true);
    expect(sameTree(undefined, now)).toBe(false);
    expect(sameTree({ ...before, version: 1 }, now)).toBe(false);
    expect(sameTree(manifest(before.units[0]!.entries, '/other'), now)).toBe(false);
    expect(sameTree(manifest(before.units[0]!.entries, '/p', 'w'), now)).toBe(false);
    expect(sameTree({ ...before, units: [...before.units, ...before.units] }, now)).toBe(false);
  });
});

describe('names and parsing', () => {
  const me = { user: 'alice', host: 'laptop' };
  it('names volumes after the user, the host and the path, stably', () => {
    expect(shipVolumeName('/p', me)).toMatch(/^werf-run-ship-alice-laptop-[0-9a-f]{16}$/);
    expect(shipVolumeName('/p', me)).toBe(shipVolumeName('/p', me));
    expect(shipVolumeName('/p', me)).not.toBe(shipVolumeName('/q', me));
    expect(shipVolumeName('/p', me)).not.toBe(shipVolumeName('/p', { ...me, user: 'bob' }));
    expect(shipVolumeName('/p', me)).not.toBe(shipVolumeName('/p', { ...me, host: 'ci-runner' }));
    expect(manifestVolumeName('/p', me)).toBe(`${shipVolumeName('/p', me)}-manifest`);
    expect(shipLockName(manifestVolumeName('/p', me))).toBe(`${shipVolumeName('/p', me)}-manifest-lock`);
  });
  it('makes any user or host name a valid volume name', () => {
    const name = shipVolumeName('/p', { user: 'DOMAIN\\Jo Ann', host: 'höst:1' });
    expect(name).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/);
    expect(name).toMatch(/^werf-run-ship-DOMAIN_Jo_Ann-h_st_1-/);
  });
  it('reads only its own manifest version', () => {
    expect(parseManifest(JSON.stringify(manifest({})))).toEqual(manifest({}));
    expect(parseManifest('{"version":7,"units":[]}')).toBeUndefined();
    expect(parseManifest('{"version":1,"units":[]}')).toBeUndefined();
    expect(parseManifest('not json')).toBeUndefined();
    expect(parseManifest(undefined)).toBeUndefined();
  });
  it.each([
    [512, '512 B'],
    [2048, '2.0 kB'],
    [3 * 1024 * 1024, '3.0 MB'],
  ])('%d bytes read as %s', (n, text) => expect(describeBytes(n)).toBe(text));
});

describe('what is shipped and what a manifest may hold', () => {
  it.each([
    ['', true],
    ['a', true],
    ['a/b.txt', true],
    ['.git/HEAD', true],
    ['..a', true],
    ['/etc/passwd', false],
    ['..', false],
    ['../x', false],
    ['a/../../b', false],
    ['a//b', false],
    ['a/./b', false],
    ['a\\..\\b', false],
  ])('%j inside: %s', (rel, inside) => expect(isInsidePath(rel)).toBe(inside));

  it('rejects a manifest with an entry outside its unit', () => {
    expect(manifestProblem(manifest({ '': d, a: f(1) }))).toBeUndefined();
    expect(manifestProblem(manifest({ '': d, '../../etc': d }))).toMatch(/"\.\.\/\.\.\/etc" \(an absolute path or one with "\.\."\)/);
    expect(manifestProblem(manifest({ '/etc/passwd': f(1) }))).toMatch(/\/etc\/passwd/);
  });

  it('adds every parent dir of a listing, root first, and drops paths outside', () => {
    expect(withParents(['src/a/b.ts', 'README.md', 'src/c.ts', '../x', '/abs'])).toEqual([
      '',
      'README.md',
      'src',
      'src/a',
      'src/a/b.ts',
      'src/c.ts',
    ]);
  });

  it('trusts stat data as git does: size, mtime, inode, mode', () => {
    const was: ManifestEntry = { ...f(3), ino: 7 };
    expect(sameStat(was, { ...f(3), ino: 7 })).toBe(true);
    expect(sameStat(was, { ...f(3), ino: 8 })).toBe(false);
    expect(sameStat(was, { ...f(3, 2), ino: 7 })).toBe(false);
    expect(sameStat(was, { ...f(4), ino: 7 })).toBe(false);
    expect(sameStat(undefined, f(3))).toBe(false);
  });

  it('a file replaced by another inode with the same size and mtime is hashed, not trusted', () => {
    const before = manifest({ '': d, a: { ...f(3), ino: 1 } });
    const now = manifest({ '': d, a: { ...f(3), ino: 2 } });
    expect(diffManifests(before, now).send).toEqual([['a']]);
    expect(diffManifests(before, now, () => true).send).toEqual([[]]);
  });

  it('says bytes, files and the rate', () => {
    expect(shipProgressText({ sentBytes: 1024, totalBytes: 2048, sentFiles: 3, totalFiles: 10, elapsedMs: 500 })).toBe(
      '[##########----------] 50% 1.0 kB of 2.0 kB, 3 of 10 files, 2.0 kB/s',
    );
    expect(shipProgressText({ sentBytes: 0, totalBytes: 0, sentFiles: 0, totalFiles: 0, elapsedMs: 0 })).toBe(
      '[####################] 100% 0 B of 0 B, 0 of 0 files',
    );
  });
});
