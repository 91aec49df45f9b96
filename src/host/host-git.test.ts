/** host-git.ts: reading git's refusal, the owner rule, and git run for real against a repository owned by another uid. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { dubiousPath, hostGit, mayTrustOwner, safeDirectoryArgs } from './host-git.js';

describe("git's refusal names the repository", () => {
  it('git >= 2.36 and git 2.35.2 wordings; anything else is not a refusal', () => {
    expect(dubiousPath("fatal: detected dubious ownership in repository at '/src/a b'\nTo add an exception...")).toBe('/src/a b');
    expect(dubiousPath("fatal: unsafe repository ('/src/x' is owned by someone else)\n")).toBe('/src/x');
    expect(dubiousPath('fatal: not a git repository (or any of the parent directories): .git')).toBeUndefined();
  });
});

describe('whose repository werf-run trusts', () => {
  it('its own user, or any owner when werf-run runs as root; unknown (Windows) never', () => {
    expect(mayTrustOwner(1000, 1000)).toBe(true);
    expect(mayTrustOwner(4321, 0)).toBe(true);
    expect(mayTrustOwner(0, 1000)).toBe(false);
    expect(mayTrustOwner(4321, 1000)).toBe(false);
    expect(mayTrustOwner(undefined, 1000)).toBe(false);
    expect(mayTrustOwner(1000, undefined)).toBe(false);
  });

  it('trust is one exact path each, never *', () => {
    expect(safeDirectoryArgs(['/a', '/b c'])).toEqual(['-c', 'safe.directory=/a', '-c', 'safe.directory=/b c']);
    expect(safeDirectoryArgs([])).toEqual([]);
  });
});

// chown to another uid needs root (the project's machines run as root; GitHub's runners do not): skipped there, not passed.
describe.skipIf(process.getuid?.() !== 0)('hostGit against a real repository owned by another uid', () => {
  const base = realpathSync.native(mkdtempSync(path.join(os.tmpdir(), 'werf-run-host-git-')));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  const dir = path.join(base, 'foreign');
  const other = path.join(base, 'other');
  for (const d of [dir, other]) {
    mkdirSync(d);
    execFileSync('git', ['init', '-q'], { cwd: d });
    execFileSync('chown', ['-R', '4321:4321', d]);
  }

  it('as root: git answers, trusting exactly that repository', async () => {
    const answer = await hostGit(['rev-parse', '--show-toplevel'], { cwd: dir, uid: 0 });
    expect(answer).toMatchObject({ ok: true, stdout: `${dir}\n` });
  });

  it('as another user: exit 2 naming the path and its owner, git not asked again', async () => {
    const error: unknown = await hostGit(['rev-parse', '--show-toplevel'], { cwd: other, uid: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as UsageError).message).toBe(
      `the git repository ${other} is owned by uid 4321, not by uid 1000 who runs werf-run: git does not trust it, and werf-run does not trust it for you`,
    );
  });

  it('a refusal that is not about ownership passes through as a failed answer', async () => {
    const answer = await hostGit(['rev-parse', '--verify', '-q', 'HEAD'], { cwd: dir, uid: 0 });
    expect(answer.ok).toBe(false);
  });
});
