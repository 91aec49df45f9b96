import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { indexModes, shippedMode } from './ship-mode.js';

describe('shippedMode', () => {
  it.each([
    // POSIX: the file's own mode, type bits cut off.
    ['posix file', 'file', 0o100755, undefined, 'posix', 0o755],
    ['posix private file', 'file', 0o100600, 0o100644, 'posix', 0o600],
    ['posix dir', 'dir', 0o40700, undefined, 'posix', 0o700],
    // Windows (simulated: the stat modes libuv reports there): git's index decides.
    ['win executable in the index', 'file', 0o100666, 0o100755, 'win32', 0o755],
    ['win plain file in the index', 'file', 0o100666, 0o100644, 'win32', 0o644],
    ['win read-only file in the index', 'file', 0o100444, 0o100644, 'win32', 0o644],
    ['win untracked file', 'file', 0o100666, undefined, 'win32', 0o644],
    ['win dir (libuv: no x bit)', 'dir', 0o40666, undefined, 'win32', 0o755],
    ['win symlink', 'symlink', 0o120666, 0o120000, 'win32', 0o777],
  ] as const)('%s', (_what, type, statMode, indexMode, hostOs, expected) => {
    expect(shippedMode(type, statMode, indexMode, hostOs)).toBe(expected);
  });
});

describe('indexModes', () => {
  it('parses git ls-files --stage -z, names with spaces, tabs and newlines included', () => {
    const out = [
      '100644 e69de29bb2d1d6434b8b29ae775ad8c2e48c5391 0\tREADME.md',
      '100755 e69de29bb2d1d6434b8b29ae775ad8c2e48c5391 0\tscripts/build.sh',
      '100644 e69de29bb2d1d6434b8b29ae775ad8c2e48c5391 0\tdir with space/a\tb',
      '100644 e69de29bb2d1d6434b8b29ae775ad8c2e48c5391 0\tline\nbreak',
      '120000 e69de29bb2d1d6434b8b29ae775ad8c2e48c5391 0\tlink',
      '',
    ].join('\0');
    expect([...indexModes(out)]).toEqual([
      ['README.md', 0o100644],
      ['scripts/build.sh', 0o100755],
      ['dir with space/a\tb', 0o100644],
      ['line\nbreak', 0o100644],
      ['link', 0o120000],
    ]);
  });

  // The real git as the oracle for the format: an executable bit recorded with core.fileMode false, as on Windows.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-index-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it("reads the modes git's own index holds", () => {
    const git = (...args: string[]) => execFileSync('git', ['-c', 'safe.directory=*', ...args], { cwd: dir, encoding: 'utf8' });
    git('init', '-q');
    git('config', 'core.fileMode', 'false');
    mkdirSync(path.join(dir, 'bin'));
    writeFileSync(path.join(dir, 'bin', 'run.sh'), '#!/bin/sh\n');
    writeFileSync(path.join(dir, 'werf.yaml'), 'project: x\n');
    git('add', '.');
    git('update-index', '--chmod=+x', 'bin/run.sh');
    const modes = indexModes(git('ls-files', '--stage', '-z'));
    expect(modes.get('bin/run.sh')).toBe(0o100755);
    expect(modes.get('werf.yaml')).toBe(0o100644);
    expect(shippedMode('file', 0o100666, modes.get('bin/run.sh'), 'win32')).toBe(0o755);
  });
});
