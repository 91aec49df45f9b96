import { describe, expect, it } from 'vitest';
import { archiveEntries, describeInjectedFile, dirModeFor, filesToCopy, isRegularFile, ownedBy } from './files.js';

const file = (path: string, over = {}) => ({ path, content: Buffer.from('secret-value'), mode: 0o600, ...over });

describe('archiveEntries', () => {
  it('creates the directories below the kept ones, once, owned by the file owner, and never a kept directory', () => {
    const entries = archiveEntries(
      ownedBy([file('/home/build/.kube/config'), file('/home/build/.kube/config-2'), file('/tmp/x/y/z')], { uid: 1000, gid: 1000 }),
      ['/home/build', '/tmp'],
    );
    expect(entries.map((e) => `${e.type} ${e.name} ${e.mode.toString(8)} ${e.uid}:${e.gid}`)).toEqual([
      'directory home/build/.kube 700 1000:1000',
      'file home/build/.kube/config 600 1000:1000',
      'file home/build/.kube/config-2 600 1000:1000',
      'directory tmp/x 700 1000:1000',
      'directory tmp/x/y 700 1000:1000',
      'file tmp/x/y/z 600 1000:1000',
    ]);
  });

  it("keeps a file's own ids over the image user's, and / is always kept", () => {
    const entries = archiveEntries(ownedBy([file('/etc/werf-run/ca.pem', { uid: 0, gid: 0, mode: 0o644 })], { uid: 1000, gid: 1000 }), []);
    expect(entries.map((e) => `${e.type} ${e.name} ${e.mode.toString(8)} ${e.uid}`)).toEqual([
      'directory etc 755 0',
      'directory etc/werf-run 755 0',
      'file etc/werf-run/ca.pem 644 0',
    ]);
  });

  it('refuses a relative path', () => {
    expect(() => archiveEntries([file('home/x')], [])).toThrow(/must be absolute: home\/x/);
  });
});

describe('dirModeFor', () => {
  it.each([
    [0o600, 0o700],
    [0o640, 0o750],
    [0o644, 0o755],
    [0o400, 0o700],
  ])('a file of mode %o gets directories of mode %o', (file, dir) => {
    expect(dirModeFor(file)).toBe(dir);
  });
});

describe('describeInjectedFile', () => {
  it('shows path, size, mode and owner, never the content', () => {
    const text = describeInjectedFile({ ...file('/home/build/.docker/config.json'), uid: 1000, secret: true });
    expect(text).toBe('/home/build/.docker/config.json (12 bytes, mode 0600, uid 1000, secret)');
    expect(text).not.toContain('secret-value');
  });
});

describe('filesToCopy: a kept file the container holds already is not copied again', () => {
  const kept = { path: '/home/build/.werf/werf-run/host-ca-1.crt', content: Buffer.from('CA'), mode: 0o644, kept: true };
  const plain = { path: '/home/build/.docker/config.json', content: Buffer.from('{}'), mode: 0o600 };
  it('held with the same content: left out; other files always go', () => {
    expect(filesToCopy([kept, plain], new Map([[kept.path, 2]]))).toEqual([plain]);
  });
  it('absent, or held with another size: copied', () => {
    expect(filesToCopy([kept], new Map())).toEqual([kept]);
    expect(filesToCopy([kept], new Map([[kept.path, undefined]]))).toEqual([kept]);
    expect(filesToCopy([kept], new Map([[kept.path, 3]]))).toEqual([kept]);
  });
  it('a file that is not kept is copied even when the path holds the same content (the container is new)', () => {
    expect(filesToCopy([plain], new Map([[plain.path, 2]]))).toEqual([plain]);
  });
});

describe('isRegularFile: a path stat mode (Go os.FileMode) of a plain file', () => {
  it('a file with any permissions is one; a directory, symlink, device, pipe or socket is not', () => {
    expect(isRegularFile(0o644)).toBe(true);
    expect(isRegularFile(0o4755 | (1 << 23))).toBe(true); // setuid is a permission bit, not a type
    expect(isRegularFile(((1 << 31) | 0o755) >>> 0)).toBe(false);
    for (const bit of [27, 26, 25, 24, 21, 19]) expect(isRegularFile((1 << bit) | 0o644)).toBe(false);
  });
});
