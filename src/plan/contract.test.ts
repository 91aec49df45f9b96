import { describe, expect, it } from 'vitest';
import { imageUser, storageDir } from './contract.js';

describe('imageUser: who werf runs as, and where its home and caches are', () => {
  it.each([
    [undefined, { user: 'build', home: '/home/build', uid: 1000 }],
    ['1000', { user: 'build', home: '/home/build', uid: 1000 }],
    ['build1001', { user: 'build1001', home: '/home/build1001', uid: 1001 }],
    ['root', { user: 'root', home: '/root', uid: 0 }],
    // name:group and uid:gid as docker run --user takes them: the value is kept, the home is the user's.
    ['build:build', { user: 'build:build', home: '/home/build', uid: 1000 }],
    ['1000:1000', { user: '1000:1000', home: '/home/build', uid: 1000 }],
    ['0:0', { user: '0:0', home: '/root', uid: 0 }],
    ['ci', { user: 'ci', home: '/home/ci', uid: undefined }],
    ['ci:docker', { user: 'ci:docker', home: '/home/ci', uid: undefined }],
    ['4242:4242', { user: '4242:4242', home: '/home/4242', uid: 4242 }],
  ])('%s', (user, expected) => {
    expect(imageUser(user)).toEqual(expected);
  });
});

describe("storageDir: where werf's buildah keeps its storage (a volume)", () => {
  it('in the home for a user, in /var/lib/containers for root (werf pkg/buildah/native_linux.go:1168)', () => {
    expect(storageDir('/home/build', 1000)).toBe('/home/build/.local/share/containers');
    expect(storageDir('/home/ci', undefined)).toBe('/home/ci/.local/share/containers');
    expect(storageDir('/root', 0)).toBe('/var/lib/containers');
  });
});
