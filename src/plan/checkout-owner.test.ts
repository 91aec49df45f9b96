import { describe, expect, it } from 'vitest';
import {
  addedUserDirs,
  addedUserFiles,
  idInNamespace,
  subIdRanges,
  passwdEntry,
  volumesFor,
  werfUserFor,
  werfUserOnRootless,
  werfWorktreeEntries,
  writesCheckout,
} from './checkout-owner.js';
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

describe('werfUserOnRootless: a rootless engine on this machine', () => {
  // Like the rig's rootless Docker: user 1001 with 65536 ids from 1000000.
  const daemon = {
    uid: 1001,
    gid: 1001,
    name: 'alice',
    subuids: [{ start: 1000000, count: 65536 }],
    subgids: [{ start: 1000000, count: 65536 }],
  };

  it("maps host ids as the daemon's namespace does: its user is 0, its subordinate ids follow from 1, in file order", () => {
    expect(idInNamespace(1001, 1001, daemon.subuids)).toBe(0);
    expect(idInNamespace(1000000, 1001, daemon.subuids)).toBe(1);
    expect(idInNamespace(1000999, 1001, daemon.subuids)).toBe(1000);
    expect(idInNamespace(1065535, 1001, daemon.subuids)).toBe(65536);
    expect(idInNamespace(1065536, 1001, daemon.subuids)).toBeUndefined();
    expect(idInNamespace(0, 1001, daemon.subuids)).toBeUndefined();
    expect(
      idInNamespace(300005, 1001, [
        { start: 200000, count: 10 },
        { start: 300000, count: 10 },
      ]),
    ).toBe(16);
  });

  it("reads the daemon's ranges by name or uid, and its name and group from passwd", () => {
    const subuid = 'bob:100000:65536\nalice:1000000:65536\n1001:2000000:10\nalice:bad:1\n';
    expect(subIdRanges(subuid, 'alice', 1001)).toEqual([
      { start: 1000000, count: 65536 },
      { start: 2000000, count: 10 },
    ]);
    expect(subIdRanges('', 'alice', 1001)).toEqual([]);
    expect(passwdEntry('root:x:0:0::/root:/bin/sh\nalice:x:1001:1005::/home/alice:/bin/sh\n', 1001)).toEqual({ name: 'alice', gid: 1005 });
    expect(passwdEntry('root:x:0:0::/root:/bin/sh', 1001)).toBeUndefined();
  });

  it("the daemon's own checkout: werf runs as the namespace's root (the daemon's user here), with root's storage and volumes", () => {
    const chosen = werfUserOnRootless({ uid: 1001, gid: 1001 }, daemon, undefined, '/p');
    expect(chosen.user).toBe('0:0');
    expect(chosen.who).toEqual({ user: '0:0', home: '/root', uid: 0 });
    expect(chosen.addUser).toBeUndefined();
    expect(chosen.note).toContain('belongs to alice (uid 1001), who runs the engine and is uid 0 in its containers');
    expect(volumesFor({ storage: 's', werfHome: 'h' }, chosen.who.uid)).toEqual({ storage: 's-uid0', werfHome: 'h-uid0' });
  });

  it("a checkout of one of the daemon's subordinate ids runs as that uid of the namespace", () => {
    expect(werfUserOnRootless({ uid: 1000999, gid: 1000999 }, daemon, undefined, '/p').user).toBe('build');
    expect(werfUserOnRootless({ uid: 1001000, gid: 1001000 }, daemon, undefined, '/p').user).toBe('build1001');
    const other = werfUserOnRootless({ uid: 1000005, gid: 1000005 }, daemon, undefined, '/p');
    expect(other.addUser).toMatchObject({ uid: 6, gid: 6 });
    expect(other.note).toContain('host uid 1000005, a subordinate id of alice (uid 1001), is uid 6 in the rootless engine');
  });

  it('a checkout the namespace does not map: a writing command stops with the chown to the daemon user; a reading one runs', () => {
    const stop = (): unknown => werfUserOnRootless({ uid: 0, gid: 0 }, daemon, undefined, '/p', ['build']);
    expect(stop).toThrow(WerfRunError);
    expect(stop).toThrow("the checkout /p belongs to uid 0, which the rootless engine's user namespace does not map");
    try {
      stop();
    } catch (error) {
      expect((error as WerfRunError).remedy).toContain('chown -R 1001:1001 /p');
      expect((error as WerfRunError).exitCode).toBe(2);
    }
    expect(werfUserOnRootless({ uid: 4321, gid: 4321 }, daemon, undefined, '/p', ['config', 'render']).user).toBe('build');
  });

  it("the config's user wins", () => {
    expect(werfUserOnRootless({ uid: 1001, gid: 1001 }, daemon, 'build', '/p').user).toBe('build');
  });
});
