import { describe, expect, it } from 'vitest';
import { addedUserDirs, addedUserFiles, volumesFor, werfUserFor, werfWorktreeEntries, writesCheckout } from './checkout-owner.js';
import { WerfRunError } from '../errors.js';

describe("werfUserFor: werf runs as the checkout's owner", () => {
  it("1000 is build, 1001 the image's build1001, unknown owners the contract's build", () => {
    expect(werfUserFor({ uid: 1000, gid: 1000 }, undefined, '/p').user).toBe('build');
    expect(werfUserFor({ uid: 1001, gid: 1001 }, undefined, '/p').who).toEqual({ user: 'build1001', home: '/home/build1001', uid: 1001 });
    expect(werfUserFor(undefined, undefined, '/p').who.uid).toBe(1000);
  });
  it('any other uid is added with its own home, group and subordinate ids', () => {
    const chosen = werfUserFor({ uid: 4321, gid: 100 }, undefined, '/p');
    expect(chosen.user).toBe('4321:100');
    expect(chosen.addUser).toEqual({ name: 'werf4321', uid: 4321, gid: 100, home: '/home/werf4321', subStart: 231072, subCount: 65536 });
  });
  it("the config's user wins", () => {
    expect(werfUserFor({ uid: 4321, gid: 4321 }, 'build1001', '/p')).toMatchObject({ user: 'build1001' });
    expect(werfUserFor({ uid: 4321, gid: 4321 }, 'build1001', '/p').addUser).toBeUndefined();
  });
  it('root: a writing command stops with the chown; a reading one runs as build', () => {
    expect(() => werfUserFor({ uid: 0, gid: 0 }, undefined, '/p', ['build'])).toThrow(WerfRunError);
    expect(() => werfUserFor({ uid: 0, gid: 0 }, undefined, '/p', ['build'])).toThrow(/belongs to root/);
    expect(werfUserFor({ uid: 0, gid: 0 }, undefined, '/p', ['config', 'render']).user).toBe('build');
    expect(writesCheckout(['helm', 'secret', 'encrypt'])).toBe(false);
    expect(writesCheckout(['converge', '--repo', 'r'])).toBe(true);
    expect(writesCheckout(['config', 'render', '--dev'])).toBe(true);
  });
});

describe("per-uid volumes and the added user's files", () => {
  it('build keeps the configured names; other uids get their own', () => {
    expect(volumesFor({ storage: 's', werfHome: 'h' }, 1000)).toEqual({ storage: 's', werfHome: 'h' });
    expect(volumesFor({ storage: 's', werfHome: 'h' }, 1001)).toEqual({ storage: 's-uid1001', werfHome: 'h-uid1001' });
  });
  it("appends to the image's files; an existing group is kept", () => {
    const user = { name: 'werf5', uid: 5, gid: 1000, home: '/home/werf5', subStart: 231072, subCount: 65536 };
    const files = addedUserFiles(user, {
      passwd: 'root:x:0:0::/root:/bin/sh',
      group: 'build:x:1000:\n',
      subuid: 'build:100000:65536\n',
      subgid: '',
    });
    expect(files.map((f) => [f.path, f.content.toString(), f.uid, f.mode])).toEqual([
      ['/etc/passwd', 'root:x:0:0::/root:/bin/sh\nwerf5:x:5:1000::/home/werf5:/bin/sh\n', 0, 0o644],
      ['/etc/group', 'build:x:1000:\n', 0, 0o644],
      ['/etc/subuid', 'build:100000:65536\nwerf5:231072:65536\n', 0, 0o644],
      ['/etc/subgid', 'werf5:231072:65536\n', 0, 0o644],
    ]);
    expect(addedUserDirs(user).map((d) => [d.name, d.uid])).toEqual([
      ['home/werf5', 5],
      ['home/werf5/.werf', 5],
      ['home/werf5/.local', 5],
      ['home/werf5/.local/share', 5],
      ['home/werf5/.local/share/containers', 5],
    ]);
  });
});

describe('werfWorktreeEntries', () => {
  it("only entries whose worktree is in werf's cache in the container and missing here", () => {
    const entries = [
      { name: 'worktree', gitdir: '/home/build/.werf/local_cache/git_worktrees/9/local/abc/worktree/.git\n' },
      { name: 'feature', gitdir: '/src/feature/.git\n' },
      { name: 'worktree1', gitdir: '/home/build/.werf/local_cache/git_worktrees/9/local/def/worktree/.git' },
    ];
    expect(werfWorktreeEntries(entries, '/home/build', (f) => f.includes('/def/'))).toEqual(['worktree']);
    expect(werfWorktreeEntries(entries, '/home/build1001', () => false)).toEqual([]);
  });
});
