import { describe, expect, it } from 'vitest';
import { describeBytes, diffManifests, manifestVolumeName, parseManifest, shipVolumeName, type Manifest, type ManifestEntry } from './ship.js';

const f = (size: number, mtimeMs = 1, sha256 = `sha${size}`): ManifestEntry => ({ type: 'file', size, mtimeMs, mode: 0o644, sha256 });
const d: ManifestEntry = { type: 'dir', size: 0, mtimeMs: 1, mode: 0o755 };
const manifest = (entries: Record<string, ManifestEntry>, dir = '/p', volume = 'v'): Manifest => ({ version: 1, units: [{ dir, volume, entries }] });

describe('diffManifests', () => {
  const before = manifest({ '': d, a: f(1), sub: d, 'sub/b': f(2), 'sub/c': f(3), gone: d, 'gone/x': f(1), 'gone/y': f(1) });

  it('first run: everything, parents first', () => {
    expect(diffManifests(undefined, manifest({ '': d, 'sub/b': f(2), sub: d, a: f(1) }))).toEqual({ send: [['', 'a', 'sub', 'sub/b']], remove: [[]] });
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
    const now = manifest({ '': d, a: { ...f(1), mode: 0o755 }, sub: d, 'sub/b': { type: 'symlink', size: 0, mtimeMs: 1, mode: 0o777, link: 'x' }, 'sub/c': f(3), gone: d, 'gone/x': f(1), 'gone/y': f(1) });
    expect(diffManifests(before, now).send).toEqual([['a', 'sub/b']]);
    expect(diffManifests(before, manifest({ '': d }, '/other')).send).toEqual([['']]);
    expect(diffManifests({ ...before, version: 0 }, manifest({ '': d })).send).toEqual([['']]);
  });
});

describe('names and parsing', () => {
  it('names volumes after the paths, stably', () => {
    expect(shipVolumeName('/p')).toMatch(/^werf-run-ship-[0-9a-f]{16}$/);
    expect(shipVolumeName('/p')).toBe(shipVolumeName('/p'));
    expect(shipVolumeName('/p')).not.toBe(shipVolumeName('/q'));
    expect(manifestVolumeName('/p')).toBe(`${shipVolumeName('/p')}-manifest`);
  });
  it('reads only its own manifest version', () => {
    expect(parseManifest(JSON.stringify(manifest({})))).toEqual(manifest({}));
    expect(parseManifest('{"version":7,"units":[]}')).toBeUndefined();
    expect(parseManifest('not json')).toBeUndefined();
    expect(parseManifest(undefined)).toBeUndefined();
  });
  it.each([
    [512, '512 B'],
    [2048, '2.0 kB'],
    [3 * 1024 * 1024, '3.0 MB'],
  ])('%d bytes read as %s', (n, text) => expect(describeBytes(n)).toBe(text));
});
