import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonCache, cacheDir, daemonKey, filesToPrune } from './cache.js';
import type { EngineInfo } from '../engine/port.js';

const info: EngineInfo = {
  id: 'SAME:ID',
  name: 'vm',
  product: 'docker',
  serverVersion: '20.10.24',
  apiVersion: '1.41',
  kernelVersion: '6.1',
  operatingSystem: 'Debian',
  osType: 'linux',
  architecture: 'x86_64',
  storageDriver: 'overlay2',
  securityOptions: [],
  cgroupVersion: '1',
  dockerRootDir: '/var/lib/docker',
};

describe('cacheDir', () => {
  it('follows XDG_CACHE_HOME, else ~/.cache', () => {
    expect(cacheDir({ XDG_CACHE_HOME: '/x' }, '/home/u')).toBe('/x/werf-run');
    expect(cacheDir({}, '/home/u')).toBe('/home/u/.cache/werf-run');
    expect(cacheDir({ XDG_CACHE_HOME: 'relative' }, '/home/u')).toBe('/home/u/.cache/werf-run');
  });
});

describe('DaemonCache', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const tmp = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'werf-run-cache-'));
    dirs.push(d);
    return d;
  };

  it('keeps two engines with the same daemon ID apart', () => {
    const dir = tmp();
    const a = new DaemonCache(dir, daemonKey('unix:///var/run/docker.sock', info));
    const b = new DaemonCache(dir, daemonKey('unix:///tmp/d/docker.sock', { ...info, dockerRootDir: '/tmp/d/data' }));
    expect(a.file).not.toBe(b.file);
    a.update((e) => ({ ...e, modes: { x: { mode: 'fuse', at: 't' } } }));
    expect(a.read().entry?.modes?.x?.mode).toBe('fuse');
    expect(b.read()).toMatchObject({ entry: undefined, why: expect.stringContaining('no cache entry') });
  });

  it('ignores an entry written for another key or format, and a corrupt file', () => {
    const dir = tmp();
    const cache = new DaemonCache(dir, daemonKey('unix:///s', info));
    writeFileSync(cache.file, JSON.stringify({ version: 1, key: { ...cache.key, kernelVersion: '5.10' } }));
    expect(cache.read().entry).toBeUndefined();
    writeFileSync(cache.file, '{not json');
    expect(cache.read()).toMatchObject({ entry: undefined, why: expect.stringContaining('unreadable') });
  });

  it('reports, not throws, when it cannot write', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'file'), '');
    const cache = new DaemonCache(path.join(dir, 'file', 'sub'), daemonKey('unix:///s', info));
    expect(cache.update((e) => e)).toMatch(/cannot write the cache/);
  });
});

describe('daemonKey', () => {
  it("leaves Podman's per-call random ID out, keeps Docker's, and tells daemons by host name and root dir", () => {
    const podman = { ...info, product: 'podman' as const, dockerRootDir: '/var/lib/containers/storage' };
    expect(daemonKey('unix:///p.sock', { ...podman, id: 'RANDOM1' })).toEqual(daemonKey('unix:///p.sock', { ...podman, id: 'RANDOM2' }));
    expect(daemonKey('unix:///d.sock', info)).not.toEqual(daemonKey('unix:///d.sock', { ...info, id: 'OTHER' }));
    expect(daemonKey('unix:///d.sock', info)).not.toEqual(daemonKey('unix:///d.sock', { ...info, name: 'other-host' }));
  });
});

describe('filesToPrune', () => {
  const day = 24 * 3600 * 1000;
  const now = 100 * day;
  const entry = (n: number, ageDays: number) => ({ name: `daemon-${n.toString(16).padStart(16, '0')}.json`, mtimeMs: now - ageDays * day });

  it('drops entries older than the age limit, never the one in use, nor files that are not entries', () => {
    const files = [entry(1, 1), entry(2, 31), entry(3, 40), { name: 'notes.txt', mtimeMs: 0 }];
    expect(filesToPrune(files, entry(3, 0).name, now)).toEqual([entry(2, 31).name]);
  });

  it('keeps the newest entries up to the limit, the one in use counted', () => {
    const files = [entry(1, 5), entry(2, 1), entry(3, 3), entry(4, 2)];
    expect(filesToPrune(files, entry(9, 0).name, now, { maxAgeMs: 30 * day, maxEntries: 3 }).sort()).toEqual(
      [entry(1, 5).name, entry(3, 3).name].sort(),
    );
  });

  it('removes leftovers of interrupted writes after an hour, not a write in progress', () => {
    const files = [
      { name: `${entry(1, 0).name}.123.tmp`, mtimeMs: now - 2 * 3600_000 },
      { name: `${entry(2, 0).name}.456.tmp`, mtimeMs: now - 60_000 },
    ];
    expect(filesToPrune(files, 'x', now)).toEqual([files[0]!.name]);
  });
});

describe('DaemonCache.write', () => {
  it('bounds the directory: an entry untouched for longer than the age limit is gone after the next write', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-cache-'));
    try {
      const old = new DaemonCache(dir, daemonKey('unix:///old.sock', info));
      old.write({ version: 1, key: old.key });
      const past = (Date.now() - 31 * 24 * 3600 * 1000) / 1000;
      utimesSync(old.file, past, past);
      const current = new DaemonCache(dir, daemonKey('unix:///new.sock', info));
      current.write({ version: 1, key: current.key });
      expect(readdirSync(dir)).toEqual([path.basename(current.file)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
