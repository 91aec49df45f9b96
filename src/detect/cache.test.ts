import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonCache, cacheDir, daemonKey } from './cache.js';
import type { EngineInfo } from '../engine/port.js';

const info: EngineInfo = {
  id: 'SAME:ID', name: 'vm', product: 'docker', serverVersion: '20.10.24', apiVersion: '1.41', kernelVersion: '6.1',
  operatingSystem: 'Debian', osType: 'linux', architecture: 'x86_64', storageDriver: 'overlay2', securityOptions: [],
  cgroupVersion: '1', dockerRootDir: '/var/lib/docker',
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
