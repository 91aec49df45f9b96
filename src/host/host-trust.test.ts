import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileTrustStoreCache, hostBundlePath, hostTrustStore, trustStoreKey, type HostTrustInput } from './host-trust.js';

const pem = (n: string) => `-----BEGIN CERTIFICATE-----\nMII${n}\n-----END CERTIFICATE-----`;

function input(files: Record<string, string>, over: Partial<HostTrustInput> = {}): HostTrustInput {
  return {
    env: {},
    platform: 'linux',
    enabled: true,
    fixedEnv: {},
    home: '/home/build',
    read: (f) => (files[f] === undefined ? undefined : Buffer.from(files[f]!)),
    list: (dir) =>
      Object.keys(files)
        .filter((f) => f.startsWith(`${dir}/`))
        .map((f) => f.slice(dir.length + 1)),
    ...over,
  };
}

describe("hostTrustStore: this machine's CA bundle for werf", () => {
  it("Debian's bundle (the first of Go's list) goes in as one PEM file, named by SSL_CERT_FILE", () => {
    const out = hostTrustStore(
      input({ '/etc/ssl/certs/ca-certificates.crt': `${pem('A')}\n${pem('CORP')}\n`, '/etc/pki/tls/certs/ca-bundle.crt': pem('X') }),
    );
    const content = Buffer.from(`${pem('A')}\n${pem('CORP')}\n`);
    const target = hostBundlePath('/home/build', content);
    // In the werf home volume, named by its content (a run that finds it there copies nothing).
    expect(target).toMatch(/^\/home\/build\/\.werf\/werf-run\/host-ca-[0-9a-f]{16}\.crt$/);
    expect(hostBundlePath('/home/build', Buffer.from(pem('B')))).not.toBe(target);
    expect(out.env).toEqual({ SSL_CERT_FILE: target });
    expect(out.files).toEqual([{ path: target, content, mode: 0o644, kept: true }]);
    expect(out.notes).toEqual([
      `trust store: this machine's CA bundle (/etc/ssl/certs/ca-certificates.crt: 2 certificates) handed to werf as ${target} (SSL_CERT_FILE; the image's own /etc/ssl/certs is still read)`,
    ]);
  });
  it("RHEL's when Debian's is absent", () => {
    const out = hostTrustStore(input({ '/etc/pki/tls/certs/ca-bundle.crt': pem('R') }));
    expect(out.notes[0]).toContain('(/etc/pki/tls/certs/ca-bundle.crt: 1 certificates)');
  });
  it("SSL_CERT_FILE replaces the list, SSL_CERT_DIR's files are added (as Go reads them); duplicates once, non-PEM files skipped", () => {
    const out = hostTrustStore(
      input(
        {
          '/etc/ssl/certs/ca-certificates.crt': pem('SYSTEM'),
          '/corp/bundle.pem': pem('CORP'),
          '/corp/d/a.pem': pem('D1'),
          '/corp/d/b.pem': pem('CORP'),
          '/corp/d/readme': 'not a certificate',
        },
        { env: { SSL_CERT_FILE: '/corp/bundle.pem', SSL_CERT_DIR: '/corp/d' } },
      ),
    );
    expect(out.files[0]!.content.toString()).toBe(`${pem('CORP')}\n${pem('D1')}\n`);
    expect(out.notes[0]).toContain('(/corp/bundle.pem, /corp/d (2 files): 2 certificates)');
  });
  it('nothing when switched off, when the user set SSL_CERT_FILE for werf, or when there is no bundle; each says why', () => {
    const files = { '/etc/ssl/certs/ca-certificates.crt': pem('A') };
    const off = hostTrustStore(input(files, { enabled: false }));
    expect(off.files).toEqual([]);
    expect(off.env).toEqual({});
    expect(off.notes).toEqual(["trust store: forward.hostCertificates is false: this machine's CA bundle is not handed to werf"]);
    const set = hostTrustStore(input(files, { fixedEnv: { SSL_CERT_FILE: '/x.pem' } }));
    expect(set.files).toEqual([]);
    expect(set.notes[0]).toContain('env.set gives werf SSL_CERT_FILE=/x.pem');
    const none = hostTrustStore(input({}));
    expect(none.files).toEqual([]);
    expect(none.notes[0]).toMatch(/^trust store: no system CA bundle found here \(\/etc\/ssl\/certs\/ca-certificates.crt, /);
    const empty = hostTrustStore(input({ '/e.pem': 'garbage' }, { env: { SSL_CERT_FILE: '/e.pem' } }));
    expect(empty.notes[0]).toBe('trust store: no PEM certificates in /e.pem (SSL_CERT_FILE / SSL_CERT_DIR): nothing handed in');
  });
  it('on macOS the keychain is not a file: only an SSL_CERT_FILE the user set is handed in', () => {
    const files = { '/etc/ssl/cert.pem': pem('STOCK'), '/Users/u/corp.pem': pem('CORP') };
    expect(hostTrustStore(input(files, { platform: 'darwin' })).files).toEqual([]);
    const set = hostTrustStore(input(files, { platform: 'darwin', env: { SSL_CERT_FILE: '/Users/u/corp.pem' } }));
    expect(set.files[0]!.content.toString()).toBe(`${pem('CORP')}\n`);
  });
});

describe('hostTrustStore with its cache: read once per change of the store', () => {
  function counted(files: Record<string, string>, stats: Record<string, string>) {
    let reads = 0;
    let kept: Buffer | undefined;
    const base = input(files, { env: { SSL_CERT_DIR: '/etc/ssl/certs' } });
    const inner = base.read!;
    const withCount: HostTrustInput = {
      ...base,
      read: (f) => {
        reads++;
        return inner(f);
      },
    };
    const cache = {
      stat: (p: string) => stats[p],
      load: () => kept,
      save: (data: Buffer) => {
        kept = data;
      },
    };
    return { withCount, cache, reads: () => reads, corrupt: () => (kept = Buffer.from('{not json\n')) };
  }
  const files = { '/etc/ssl/certs/ca-certificates.crt': pem('A'), '/etc/ssl/certs/corp.pem': pem('CORP') };

  it('the second run with the same stat data reads no certificate file and hands in the same bundle', () => {
    const stats = { '/etc/ssl/certs/ca-certificates.crt': '1:2:300:4', '/etc/ssl/certs': '1:9:4096:5' };
    const c = counted(files, stats);
    const first = hostTrustStore(c.withCount, c.cache);
    const readsFirst = c.reads();
    expect(readsFirst).toBeGreaterThan(0);
    const second = hostTrustStore(c.withCount, c.cache);
    expect(c.reads()).toBe(readsFirst);
    expect(second).toEqual(first);
    expect(second.files[0]!.content.toString()).toBe(`${pem('A')}\n${pem('CORP')}\n`);
  });
  it('a changed directory (a CA added or removed) or bundle file is read again; so is a broken cache file', () => {
    const stats: Record<string, string> = { '/etc/ssl/certs/ca-certificates.crt': '1:2:300:4', '/etc/ssl/certs': '1:9:4096:5' };
    const c = counted(files, stats);
    hostTrustStore(c.withCount, c.cache);
    let before = c.reads();
    stats['/etc/ssl/certs'] = '1:9:4096:6';
    hostTrustStore(c.withCount, c.cache);
    expect(c.reads()).toBeGreaterThan(before);
    before = c.reads();
    stats['/etc/ssl/certs/ca-certificates.crt'] = '1:3:310:7';
    hostTrustStore(c.withCount, c.cache);
    expect(c.reads()).toBeGreaterThan(before);
    before = c.reads();
    c.corrupt();
    const again = hostTrustStore(c.withCount, c.cache);
    expect(c.reads()).toBeGreaterThan(before);
    expect(again.notes[0]).toContain('2 certificates');
  });
  it("the bundle's sha256 is kept with it: a cached run names the file by it, not by hashing the bundle again", () => {
    const stats = { '/etc/ssl/certs/ca-certificates.crt': '1:2:300:4', '/etc/ssl/certs': '1:9:4096:5' };
    const c = counted(files, stats);
    const first = hostTrustStore(c.withCount, c.cache);
    const content = Buffer.from(`${pem('A')}\n${pem('CORP')}\n`);
    expect(first.files[0]!.path).toBe(hostBundlePath('/home/build', content));
    // The cache: a line of JSON, then the bundle as handed in.
    const data = c.cache.load()!;
    const cut = data.indexOf('\n');
    expect(data.subarray(cut + 1)).toEqual(content);
    const kept = JSON.parse(data.subarray(0, cut).toString()) as { sha256: string; count: number };
    expect(kept).toMatchObject({ sha256: createHash('sha256').update(content).digest('hex'), count: 2 });
    c.cache.save(Buffer.concat([Buffer.from(`${JSON.stringify({ ...kept, sha256: 'f'.repeat(64) })}\n`), content]));
    const second = hostTrustStore(c.withCount, c.cache);
    expect(second.files[0]!.path).toBe('/home/build/.werf/werf-run/host-ca-ffffffffffffffff.crt');
    expect(second.files[0]!.content).toEqual(content);
    expect(second.notes).toEqual(first.notes.map((n) => n.replace(/host-ca-[0-9a-f]{16}/, 'host-ca-ffffffffffffffff')));
  });
  it("an older werf-run's cache file (all JSON, the certificates in it) is read again", () => {
    const stats = { '/etc/ssl/certs/ca-certificates.crt': '1:2:300:4', '/etc/ssl/certs': '1:9:4096:5' };
    const c = counted(files, stats);
    const first = hostTrustStore(c.withCount, c.cache);
    const key = (JSON.parse(c.cache.load()!.subarray(0, c.cache.load()!.indexOf('\n')).toString()) as { key: string }).key;
    c.cache.save(Buffer.from(JSON.stringify({ key, certs: [pem('OLD')], used: ['/etc/ssl/certs/ca-certificates.crt'] })));
    const before = c.reads();
    expect(hostTrustStore(c.withCount, c.cache)).toEqual(first);
    expect(c.reads()).toBeGreaterThan(before);
  });
  it("the cache file: what was saved is loaded as it was, and an older werf-run's host-trust-store.json goes", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-trust-cache-'));
    try {
      writeFileSync(path.join(dir, 'host-trust-store.json'), '{}');
      const cache = fileTrustStoreCache(dir);
      expect(cache.load()).toBeUndefined();
      const data = Buffer.from(`{"key":"k"}\n${pem('A')}\n`);
      cache.save(data);
      expect(cache.load()).toEqual(data);
      expect(readdirSync(dir)).toEqual(['host-trust-store']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('the key changes with SSL_CERT_FILE / SSL_CERT_DIR themselves, not only with the files', () => {
    const stat = () => 'same';
    const a = trustStoreKey(input({}, { env: { SSL_CERT_DIR: '/a' } }), stat);
    const b = trustStoreKey(input({}, { env: { SSL_CERT_DIR: '/b' } }), stat);
    const c = trustStoreKey(input({}, { env: { SSL_CERT_FILE: '/f', SSL_CERT_DIR: '/a' } }), stat);
    expect(new Set([a, b, c]).size).toBe(3);
  });
});

describe('a file too big to be a CA bundle', () => {
  it('is left out and named in the note, not reported as holding no certificates', () => {
    const big = `${pem('BIG')}\n${'x'.repeat(9 << 20)}`;
    const alone = hostTrustStore(input({ '/corp/huge.pem': big }, { env: { SSL_CERT_FILE: '/corp/huge.pem' } }));
    expect(alone.files).toEqual([]);
    expect(alone.notes[0]).toMatch(/nothing handed in; left out, over 8 MiB \(not a CA bundle\): \/corp\/huge\.pem \(9\.0 MiB\)$/);
    const beside = hostTrustStore(
      input({ '/corp/huge.pem': big, '/corp/d/a.pem': pem('D') }, { env: { SSL_CERT_FILE: '/corp/huge.pem', SSL_CERT_DIR: '/corp/d' } }),
    );
    expect(beside.files[0]!.content.toString()).toBe(`${pem('D')}\n`);
    expect(beside.notes[0]).toContain('left out, over 8 MiB (not a CA bundle): /corp/huge.pem (9.0 MiB)');
  });
});
