import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostOsOf, hostPaths } from './host-path.js';
import {
  PROJECT_VIEW_SCRIPT,
  deniedMessage,
  parentChain,
  parseProjectView,
  pickMarkerFiles,
  projectViewArgs,
  type ProjectMarker,
} from './project-view.js';

const marker: ProjectMarker = {
  root: '/src/app',
  files: [
    { name: 'a', sha256: 'aa' },
    { name: 'b b', sha256: 'bb' },
  ],
  head: 'c0ffee',
};

describe('pickMarkerFiles', () => {
  it('takes up to three small non-empty regular files by name', () => {
    const entries = [
      { name: 'z', isFile: true, size: 1 },
      { name: 'dir', isFile: false, size: 0 },
      { name: 'empty', isFile: true, size: 0 },
      { name: 'huge', isFile: true, size: 2 << 20 },
      { name: 'b', isFile: true, size: 5 },
      { name: 'a', isFile: true, size: 5 },
      { name: 'c', isFile: true, size: 5 },
    ];
    expect(pickMarkerFiles(entries)).toEqual(['a', 'b', 'c']);
  });
});

describe('projectViewArgs', () => {
  it('gives the root and its parents as the werf container sees them (Windows simulated: /c/...)', () => {
    expect(projectViewArgs({ ...marker, root: 'C:\\src\\app' }, hostPaths('win32'))).toEqual([
      '/c/src/app',
      '/',
      '/c',
      '/c/src',
      '--',
      'a',
      'b b',
    ]);
    expect(projectViewArgs(marker)).toEqual(['/src/app', '/', '/src', '--', 'a', 'b b']);
  });
});

describe('parentChain', () => {
  it('lists / down to the parent', () => {
    expect(parentChain('/a/b/c')).toEqual(['/', '/a', '/a/b']);
    expect(parentChain('/a')).toEqual(['/']);
  });
});

describe('parseProjectView', () => {
  const ok = 'werf-run-view file aa a\nwerf-run-view file bb b b\nwerf-run-view head c0ffee\n';
  it.each([
    ['the same files', ok, { kind: 'same' }],
    ['an image without git: the files decide', ok.replace('head c0ffee', 'head nogit'), { kind: 'same' }],
    ['another HEAD', ok.replace('head c0ffee', 'head beef'), { kind: 'elsewhere', why: 'git HEAD there is beef, here c0ffee' }],
    ['another file', ok.replace('file aa a', 'file 11 a'), { kind: 'elsewhere', why: 'a differs there' }],
    ['a file the image user may not read does not count', ok.replace('file bb b b', 'noread - b b'), { kind: 'same' }],
    ['a missing file', ok.replace('file bb b b', 'nofile - b b'), { kind: 'elsewhere', why: 'b b is missing there' }],
    [
      'a parent it cannot enter',
      'werf-run-view denied enter /src 700 0\n',
      { kind: 'denied', need: 'enter', dir: '/src', mode: '700', uid: 0 },
    ],
    [
      'a root it cannot read',
      'werf-run-view denied read /src/app 750 4321\n',
      { kind: 'denied', need: 'read', dir: '/src/app', mode: '750', uid: 4321 },
    ],
    ['nothing usable', 'sh: not found\n', { kind: 'elsewhere', why: 'the check printed nothing usable: sh: not found' }],
  ])('%s', (_what, output, view) => {
    expect(parseProjectView(output, marker)).toEqual(view);
  });
});

describe('deniedMessage', () => {
  it('on this host: the setfacl fix for the directory', () => {
    const m = deniedMessage({ kind: 'denied', need: 'read', dir: '/src/app', mode: '700', uid: 0 }, '/src/app', 1000, true);
    expect(m.message).toBe(
      "uid 1000, the werf image's user, cannot read and enter /src/app (mode 0700, owner uid 0), so werf cannot read the project /src/app",
    );
    expect(m.remedy).toBe(
      'give uid 1000 access: setfacl -m u:1000:rx /src/app (or chmod o+rx /src/app), or move the checkout to a directory it can read',
    );
  });
  it("elsewhere: says the fix is on the engine's host", () => {
    const m = deniedMessage({ kind: 'denied', need: 'enter', dir: '/root' }, '/root/app', 1000, false);
    expect(m.message).toContain("cannot enter /root on the engine's host (as that host maps uids)");
    expect(m.remedy).toContain('setfacl -m u:1000:x /root');
  });
});

describe('the script, run by a real sh here as root', () => {
  // On Windows (CI only) Git's sh reads the /c/... spelling the mapping gives.
  const hp = hostPaths(hostOsOf(process.platform));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-view-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('prints the hashes and HEAD of a real checkout, which parse as the same', () => {
    mkdirSync(path.join(dir, 'p'));
    writeFileSync(path.join(dir, 'p', 'a'), 'x\n');
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: path.join(dir, 'p'), encoding: 'utf8' }).trim();
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'x');
    const m: ProjectMarker = {
      root: path.join(dir, 'p'),
      files: [{ name: 'a', sha256: createHash('sha256').update('x\n').digest('hex') }],
      head: git('rev-parse', 'HEAD'),
    };
    const output = execFileSync('sh', ['-c', PROJECT_VIEW_SCRIPT, 'sh', ...projectViewArgs(m, hp)], { encoding: 'utf8' });
    expect(parseProjectView(output, m)).toEqual({ kind: 'same' });
    writeFileSync(path.join(dir, 'p', 'a'), 'y\n');
    expect(
      parseProjectView(execFileSync('sh', ['-c', PROJECT_VIEW_SCRIPT, 'sh', ...projectViewArgs(m, hp)], { encoding: 'utf8' }), m),
    ).toEqual({ kind: 'elsewhere', why: 'a differs there' });
  });
});
