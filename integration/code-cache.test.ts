/**
 * The CLI's compiled-code cache (src/cli/boot.ts), with the built bundle and
 * real Node processes: written by the first run, used as it is by the next,
 * written again by a run with other arguments (twice at most), replaced when
 * V8 rejects it, never read when another user could have
 * written it, and off with NODE_DISABLE_COMPILE_CACHE=1. No engine needed
 * (`--help`); each test has its own TMPDIR, where the cache lives.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runWerfRun } from './support.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-code-cache-'));
  dirs.push(dir);
  return dir;
}

const help = async (tmp: string, env: Record<string, string> = {}, args = ['--help']) => {
  const result = await runWerfRun(args, { cwd: tmp, env: { TMPDIR: tmp, ...env } });
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toContain('Usage: werf-run');
  return result;
};

const cacheDir = (tmp: string): string => path.join(tmp, `werf-run-code-${process.getuid!()}`);
const cacheFile = (tmp: string): string => {
  const files = readdirSync(cacheDir(tmp));
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(new RegExp(`^cli-[0-9a-f]{16}-${process.version}-${process.arch}\\.v8$`));
  return path.join(cacheDir(tmp), files[0]!);
};

const nodeHasItsOwn = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

// Only the branch this Node takes is defined: nothing is skipped.
if (!nodeHasItsOwn)
  describe('the compiled-code cache on Node 20', () => {
    it('is written by the first run (this user only), then used as it is', async () => {
      const tmp = tempDir();
      await help(tmp);
      expect(statSync(cacheDir(tmp)).mode & 0o777).toBe(0o700);
      const file = cacheFile(tmp);
      const written = statSync(file);
      expect(written.mode & 0o777).toBe(0o600);
      expect(written.size).toBeGreaterThan(50_000);
      // Accepted by V8: not written again.
      await help(tmp);
      const after = statSync(cacheFile(tmp));
      expect([after.ino, after.mtimeMs]).toEqual([written.ino, written.mtimeMs]);
    });

    it('is written again by a run with other arguments, holding the old one too; at most twice', async () => {
      const alone = tempDir();
      await help(alone);
      const helpOnly = statSync(cacheFile(alone)).size;
      const tmp = tempDir();
      const written = () => {
        const file = cacheFile(tmp);
        const { ino, size } = statSync(file);
        return { ino, size, rewrites: readFileSync(file).readUInt32LE(0) };
      };
      // A run that compiles other code than --help does: a usage error.
      const usage = await runWerfRun(['-q', '--bogus'], { cwd: tmp, env: { TMPDIR: tmp } });
      expect(usage.stderr).toContain("unknown werf-run option '--bogus'");
      const first = written();
      expect(first.rewrites).toBe(0);
      await help(tmp);
      const second = written();
      expect(second.ino).not.toBe(first.ino);
      expect(second.rewrites).toBe(1);
      // Both runs' code: more than either alone.
      expect(second.size).toBeGreaterThan(Math.max(first.size, helpOnly) + 4096);
      // The same arguments as its writer's: kept.
      await help(tmp);
      expect(written()).toEqual(second);
      await help(tmp, {}, ['-h']);
      const third = written();
      expect(third.ino).not.toBe(second.ino);
      expect(third.rewrites).toBe(2);
      // Written again twice: kept from now on, whatever the arguments.
      await help(tmp, {}, ['-q', '--help']);
      expect(written()).toEqual(third);
    });

    it('a cache V8 rejects (corrupt) changes nothing for the run and is replaced', async () => {
      const tmp = tempDir();
      const first = await help(tmp);
      const file = cacheFile(tmp);
      writeFileSync(file, Buffer.alloc(4096, 7));
      const again = await help(tmp);
      expect(again.stdout).toBe(first.stdout);
      expect(statSync(cacheFile(tmp)).size).toBeGreaterThan(50_000);
    });

    it('a cache file others may write is not read, and is replaced by one only this user may write', async () => {
      const tmp = tempDir();
      await help(tmp);
      const file = cacheFile(tmp);
      chmodSync(file, 0o666);
      const before = statSync(file);
      await help(tmp);
      const after = statSync(cacheFile(tmp));
      expect(after.ino).not.toBe(before.ino);
      expect(after.mode & 0o777).toBe(0o600);
    });

    it("keeps the newest three other builds' caches (two installs side by side), not older ones or a broken write's leftover", async () => {
      const tmp = tempDir();
      mkdirSync(cacheDir(tmp), { mode: 0o700 });
      const other = (n: number) => `cli-${String(n).repeat(16)}-${process.version}-${process.arch}.v8`;
      for (const n of [1, 2, 3, 4, 5]) {
        const file = path.join(cacheDir(tmp), other(n));
        writeFileSync(file, 'x', { mode: 0o600 });
        utimesSync(file, 1_000_000 + n, 1_000_000 + n);
      }
      writeFileSync(path.join(cacheDir(tmp), `${other(6)}.123.tmp`), 'x');
      await help(tmp);
      const left = readdirSync(cacheDir(tmp)).sort();
      expect(left.filter((name) => !/^cli-[1-6]{16}-/.test(name))).toHaveLength(1);
      expect(left.filter((name) => /^cli-[1-6]{16}-/.test(name))).toEqual([other(3), other(4), other(5)]);
    });

    it('NODE_DISABLE_COMPILE_CACHE=1 writes nothing', async () => {
      const tmp = tempDir();
      await help(tmp, { NODE_DISABLE_COMPILE_CACHE: '1' });
      expect(readdirSync(tmp)).toEqual([]);
    });
  });
else
  describe('the compiled-code cache on Node >= 22.1', () => {
    it("is Node's own: werf-run writes none of its own", async () => {
      const tmp = tempDir();
      await help(tmp);
      expect(readdirSync(tmp).filter((name) => name.startsWith('werf-run-code-'))).toEqual([]);
    });
  });
