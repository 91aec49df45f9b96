import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ciEnvCommand, ciEnvFor } from './ci-env.js';

describe('ciEnvFor', () => {
  it.each([
    ['auto', 'gitlab', ['converge'], 'gitlab'],
    ['auto', 'github', ['build', '--repo', 'x'], 'github'],
    ['auto', undefined, ['build'], undefined],
    ['auto', 'gitlab', ['version'], undefined],
    ['auto', 'gitlab', ['host', 'cleanup'], undefined],
    ['gitlab', undefined, ['build'], 'gitlab'],
    ['off', 'gitlab', ['converge'], undefined],
  ] as const)('%s in %s for %j -> %s', (setting, detected, args, expected) => {
    const result = ciEnvFor(setting, detected, args);
    expect(result.ci).toBe(expected);
    expect(result.note).toMatch(/^ciEnv /);
  });
});

// The command runs in the werf container's sh; here a POSIX sh and a shebang script stand in for it, which Windows has neither of.
describe.skipIf(process.platform === 'win32')('ciEnvCommand, run by a real sh', () => {
  // A fake werf on PATH: `ci-env` writes a script exporting a value, anything else prints it and exits 7.
  function run(werf: string, args: string[]): { status: number; stdout: string } {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wr-cienv-'));
    try {
      writeFileSync(path.join(dir, 'werf'), `#!/bin/sh\n${werf}\n`);
      chmodSync(path.join(dir, 'werf'), 0o755);
      const [file, ...rest] = ciEnvCommand('gitlab', args);
      try {
        const stdout = execFileSync(file!, rest, { env: { PATH: `${dir}:/usr/bin:/bin`, TMPDIR: dir }, encoding: 'utf8' });
        return { status: 0, stdout };
      } catch (error) {
        const e = error as { status: number; stdout: string };
        return { status: e.status, stdout: e.stdout };
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("sources ci-env's script, then runs werf with the arguments unchanged and passes its exit code", () => {
    const werf = `if [ "$1" = ci-env ]; then f="$TMPDIR/s"; echo 'export WERF_REPO="reg/app"' > "$f"; echo "$f"; exit 0; fi
printf '%s|' "$WERF_REPO" "$@"; exit 7`;
    expect(run(werf, ['build', 'a b', '$HOME'])).toEqual({ status: 7, stdout: 'reg/app|build|a b|$HOME|' });
  });

  it("stops with ci-env's exit code when it fails, without running the command", () => {
    expect(run(`[ "$1" = ci-env ] && exit 3; echo ran`, ['build'])).toEqual({ status: 3, stdout: '' });
  });
});
