/**
 * What werf reads from stdin and keeps in its home: piped stdin reaches werf
 * like `docker run -i` (bytes intact, EOF delivered); the caller's global
 * secret key (~/.werf/global_secret_key, third in werf's lookup) is handed in;
 * helm's repositories survive to the next run. The stand-in reads stdin and
 * looks the key up as werf does (rig/image/werf's helm block cites
 * werf/common-go). Real engine, real werf-run processes.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeProject, runWerfRun } from './support.js';

const project = makeProject({ 'werf.yaml': 'project: home\nconfigVersion: 1\n' });
const home = mkdtempSync(path.join(os.tmpdir(), 'werf-run-it-home-'));
afterAll(async () => {
  rmSync(home, { recursive: true, force: true });
  await project.cleanup();
});

// Every byte value but NUL in text, lines without a final newline: what arrives must be exactly what was sent.
const PAYLOAD = `line one\nüñï ☃ \t tabs\r\n${Array.from({ length: 5000 }, (_, i) => String.fromCharCode(32 + (i % 90))).join('')}\nno final newline`;

describe('stdin and home state', () => {
  it("piped stdin: helm secret encrypt | decrypt round trip with the global secret key from the caller's ~/.werf", async () => {
    // No key anywhere: werf's own error, and werf-run names the fix.
    const none = await runWerfRun(['helm', 'secret', 'encrypt'], {
      cwd: project.dir,
      env: { HOME: home, WERF_SECRET_KEY: undefined },
      input: 'x',
    });
    expect(none.exitCode).not.toBe(0);
    expect(none.stderr).toContain('required encryption key not found in: "$WERF_SECRET_KEY"');
    expect(none.stderr).toContain('global_secret_key');
    expect(none.stderr).not.toContain('werf-run itself did not fail');

    mkdirSync(path.join(home, '.werf'), { recursive: true });
    writeFileSync(path.join(home, '.werf', 'global_secret_key'), 'c0ffee0123456789c0ffee0123456789\n');
    chmodSync(path.join(home, '.werf', 'global_secret_key'), 0o600);
    const env = { HOME: home, WERF_SECRET_KEY: undefined };
    const encrypted = await runWerfRun(['-q', 'helm', 'secret', 'encrypt'], { cwd: project.dir, env, input: PAYLOAD });
    expect(encrypted.exitCode, encrypted.stderr).toBe(0);
    expect(encrypted.stdout).toMatch(/^[0-9a-f]{64,}\n$/);
    const decrypted = await runWerfRun(['-q', 'helm', 'secret', 'decrypt'], { cwd: project.dir, env, input: encrypted.stdout });
    expect(decrypted.exitCode, decrypted.stderr).toBe(0);
    expect(decrypted.stdout).toBe(PAYLOAD);
    // Another key cannot decrypt it: the key handed in is the one that was used.
    const other = await runWerfRun(['-q', 'helm', 'secret', 'decrypt'], {
      cwd: project.dir,
      env: { ...env, WERF_SECRET_KEY: 'ffff' },
      input: encrypted.stdout,
    });
    expect(other.exitCode).not.toBe(0);
  });

  it('empty stdin delivers EOF at once; werf does not wait for more', async () => {
    const started = Date.now();
    const result = await runWerfRun(['-q', 'helm', 'secret', 'encrypt'], { cwd: project.dir, env: { WERF_SECRET_KEY: 'abcd' }, input: '' });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^[0-9a-f]+\n$/);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('helm repo add, then a second run sees the repository', async () => {
    const add = await runWerfRun(['-q', 'helm', 'repo', 'add', 'local', 'http://127.0.0.1:8879/charts'], { cwd: project.dir });
    expect(add.exitCode, add.stderr).toBe(0);
    expect(add.stdout).toContain('"local" has been added to your repositories');
    const list = await runWerfRun(['-q', 'helm', 'repo', 'list'], { cwd: project.dir });
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.stdout).toContain('local\thttp://127.0.0.1:8879/charts');
  });
});
