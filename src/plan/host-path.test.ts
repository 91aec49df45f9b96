import { describe, expect, it } from 'vitest';
import { argInContainer, hostOsOf, hostPaths, workdirInContainer } from './host-path.js';

// Simulation: these run on whatever machine runs the tests; the Windows rows use path.win32 through hostPaths('win32').
const win = hostPaths('win32');
const posix = hostPaths('posix');

describe('hostOsOf', () => {
  it.each([
    ['win32', 'win32'],
    ['linux', 'posix'],
    ['darwin', 'posix'],
    ['freebsd', 'posix'],
  ])('%s -> %s', (platform, os) => expect(hostOsOf(platform)).toBe(os));
});

describe('inContainer on Windows', () => {
  it.each([
    ['a drive path', 'C:\\Users\\me\\proj', '/c/Users/me/proj'],
    ['a lower-case drive letter', 'c:\\Users\\me\\proj', '/c/Users/me/proj'],
    ["git's forward slashes", 'C:/Users/me/proj', '/c/Users/me/proj'],
    ['mixed separators and a trailing one', 'C:\\Users/me\\proj\\', '/c/Users/me/proj'],
    ['another drive', 'D:\\work\\app', '/d/work/app'],
    ['spaces', 'C:\\Users\\Jane Doe\\My Projects\\app', '/c/Users/Jane Doe/My Projects/app'],
    ['.. segments', 'C:\\Users\\me\\other\\..\\proj', '/c/Users/me/proj'],
    ['the drive root', 'C:\\', '/c'],
    ['a UNC share', '\\\\server\\share\\team\\app', '/unc/server/share/team/app'],
    ['a UNC share with forward slashes', '//server/share/app', '/unc/server/share/app'],
    ['the long-path prefix', '\\\\?\\C:\\Users\\me\\proj', '/c/Users/me/proj'],
    ['the long-path UNC prefix', '\\\\?\\UNC\\server\\share\\app', '/unc/server/share/app'],
    ['a WSL distribution seen from Windows', '\\\\wsl.localhost\\Ubuntu\\home\\me\\proj', '/unc/wsl.localhost/Ubuntu/home/me/proj'],
    ["a worktree's git dir", 'C:\\src\\main\\.git\\worktrees\\wt', '/c/src/main/.git/worktrees/wt'],
  ])('%s: %s -> %s', (_what, host, container) => {
    expect(win.inContainer(host)).toBe(container);
  });

  it('keeps two projects apart and one project stable (per-path caches)', () => {
    expect(win.inContainer('C:\\a\\proj')).not.toBe(win.inContainer('D:\\a\\proj'));
    expect(win.inContainer('C:\\a\\proj')).toBe(win.inContainer('c:/a/proj/'));
  });

  it.each([
    ['a device path', '\\\\.\\pipe\\docker_engine', /device path/],
    ['a drive-relative path', 'C:proj', /not an absolute Windows path/],
    ['a POSIX path', '/home/me/proj', /not an absolute Windows path/],
  ])('refuses %s with a message naming it', (_what, host, message) => {
    expect(() => win.inContainer(host)).toThrow(message);
  });
});

describe('normalize on Windows: one spelling for the walk and for git', () => {
  it.each([
    ['C:/Users/me/proj', 'C:\\Users\\me\\proj'],
    ['c:\\Users\\me\\proj\\', 'C:\\Users\\me\\proj'],
    ['\\\\?\\C:\\Users\\me\\proj', 'C:\\Users\\me\\proj'],
    ['//server/share/app', '\\\\server\\share\\app'],
  ])('%s -> %s', (host, normal) => expect(win.normalize(host)).toBe(normal));
});

describe('POSIX is the identity', () => {
  it.each([
    ['/home/me/proj', '/home/me/proj'],
    ['/Users/Jane Doe/proj', '/Users/Jane Doe/proj'],
    ['/src/main/../wt/', '/src/wt'],
    ['/', '/'],
  ])('%s -> %s', (host, container) => {
    expect(posix.inContainer(host)).toBe(container);
    expect(posix.normalize(host)).toBe(container);
  });
});

describe('isInside', () => {
  it.each([
    [posix, '/a', '/a', true],
    [posix, '/a', '/a/..dots', true],
    [posix, '/a', '/ab', false],
    [posix, '/a', '/A/b', false],
    [win, 'C:\\a', 'C:\\a\\b', true],
    [win, 'C:\\a', 'c:/A/b', true],
    [win, 'C:\\a', 'C:\\a\\..dots', true],
    [win, 'C:\\a', 'C:\\ab', false],
    [win, 'C:\\a', 'D:\\a\\b', false],
    [win, 'C:\\a\\b', 'C:\\a', false],
    [win, '\\\\srv\\share\\a', '\\\\srv\\share\\a\\b', true],
    [win, '\\\\srv\\share\\a', 'C:\\a\\b', false],
  ])('%#: %s holds %s: %s', (hp, parent, child, expected) => {
    expect(hp.isInside(parent, child)).toBe(expected);
  });
});

describe('workdirInContainer', () => {
  it.each([
    ['win: a subdirectory', win, 'C:\\Users\\me\\proj', 'C:\\Users\\me\\proj\\sub dir', '/c/Users/me/proj/sub dir'],
    [
      "win: the root's spelling wins over the caller's case",
      win,
      'C:\\Users\\me\\proj',
      'c:\\users\\me\\PROJ\\sub',
      '/c/Users/me/proj/sub',
    ],
    ['win: outside the project is the root', win, 'C:\\Users\\me\\proj', 'C:\\Users\\me', '/c/Users/me/proj'],
    ['posix: a subdirectory', posix, '/home/me/proj', '/home/me/proj/sub', '/home/me/proj/sub'],
    ['posix: outside', posix, '/home/me/proj', '/tmp', '/home/me/proj'],
  ])('%s', (_what, hp, root, cwd, expected) => expect(workdirInContainer(hp, root, cwd)).toBe(expected));
});

describe('argInContainer', () => {
  it.each([
    [win, 'C:\\Users\\me\\proj\\werf.yaml', '/c/Users/me/proj/werf.yaml'],
    [win, '--config=C:\\Users\\me\\proj\\werf.yaml', '--config=/c/Users/me/proj/werf.yaml'],
    [win, '--dir=D:/w/app', '--dir=/d/w/app'],
    [win, 'build', 'build'],
    [win, '--repo=127.0.0.1:5000/app', '--repo=127.0.0.1:5000/app'],
    [win, 'relative\\path', 'relative\\path'],
    [win, '\\\\.\\pipe\\x', '\\\\.\\pipe\\x'],
    [win, '\\\\server\\share\\values.yaml', '/unc/server/share/values.yaml'],
    [win, '//cdn.example.com/app', '//cdn.example.com/app'],
    [win, '--values=\\\\?\\C:\\v.yaml', '--values=/c/v.yaml'],
    [posix, '/home/me/proj/werf.yaml', '/home/me/proj/werf.yaml'],
    [posix, 'C:\\x', 'C:\\x'],
  ])('%#: %s -> %s', (hp, word, expected) => expect(argInContainer(hp, word)).toBe(expected));
});
