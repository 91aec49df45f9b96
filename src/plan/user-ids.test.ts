import { describe, expect, it } from 'vitest';
import { missingIdMessage, resolveUserIds } from './user-ids.js';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  '# a comment',
  'build:x:1000:1000::/home/build:/bin/sh',
  'ci:x:1500:1600::/home/ci:/bin/sh',
  'broken line',
  '',
].join('\n');
const GROUP = ['root:x:0:', 'ci:x:1600:', 'docker:x:998:ci', ''].join('\n');

describe('resolveUserIds: what runc makes of a User value, from the image files', () => {
  it.each([
    ['ci', { uid: 1500, gid: 1600 }],
    ['1500', { uid: 1500, gid: 1600 }],
    ['4242', { uid: 4242, gid: 0 }],
    ['ci:docker', { uid: 1500, gid: 998 }],
    ['ci:77', { uid: 1500, gid: 77 }],
    ['4242:4243', { uid: 4242, gid: 4243 }],
    ['ci:', { uid: 1500, gid: 1600 }],
    ['alice', { missing: 'user', name: 'alice' }],
    ['alice:ci', { missing: 'user', name: 'alice' }],
    ['ci:nogroup', { missing: 'group', name: 'nogroup' }],
  ])('%s', (spec, expected) => {
    expect(resolveUserIds(spec, PASSWD, GROUP)).toEqual(expected);
  });

  it('an image without /etc/passwd knows no name, only numbers', () => {
    expect(resolveUserIds('ci', '', '')).toEqual({ missing: 'user', name: 'ci' });
    expect(resolveUserIds('1500', '', '')).toEqual({ uid: 1500, gid: 0 });
  });

  it('words a missing name as runc does, which cli/user-error.ts turns into the config error', () => {
    expect(missingIdMessage({ missing: 'user', name: 'alice' })).toBe('unable to find user alice: no matching entries in passwd file');
    expect(missingIdMessage({ missing: 'group', name: 'g' })).toBe('unable to find group g: no matching entries in group file');
  });
});
