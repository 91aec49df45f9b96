/**
 * A handed-in file that lives in a volume and is named by its content (the
 * host's CA bundle in the werf home volume: host/host-trust.ts) is copied
 * into werf's container once: a later run finds it there and uploads no
 * archive (the engine's `extract-to-dir` event), and werf still reads it.
 * A changed trust store is a new file, copied again.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProject, rig, runWerfRun } from './support.js';

let project: ReturnType<typeof makeProject>;
let dir: string;
const pem = (n: string) => `-----BEGIN CERTIFICATE-----\nMII${n}\n-----END CERTIFICATE-----`;

beforeAll(() => {
  project = makeProject({ 'werf.yaml': 'project: kept\nconfigVersion: 1\n' }, { image: { reference: rig.WERF_RUN_RIG_SH_IMAGE } });
  dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-kept-'));
});
afterAll(async () => {
  await project?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const engineNow = async (): Promise<string> => (await execa('docker', ['info', '--format', '{{.SystemTime}}'])).stdout.trim();

/** The archive events of this project's werf containers between two engine times. */
async function archiveEvents(since: string, until: string): Promise<string[]> {
  const { stdout } = await execa('docker', [
    'events',
    ...['--since', since, '--until', until],
    ...['--filter', 'type=container', '--filter', `label=werf-run.project=${project.dir}`, '--filter', 'event=extract-to-dir'],
    ...['--format', '{{.Action}}'],
  ]);
  return stdout.split('\n').filter(Boolean);
}

describe('a kept file (the host CA bundle) is copied into the werf home volume once', () => {
  it('the second run uploads nothing and werf reads the same bundle; a changed store is copied anew', async () => {
    const bundle = path.join(dir, 'bundle.pem');
    writeFileSync(bundle, `${pem('ONE')}\n`);
    const env = { SSL_CERT_FILE: bundle, SSL_CERT_DIR: undefined, XDG_CACHE_HOME: path.join(dir, 'cache') };
    const show = ['sh', 'echo "file=$SSL_CERT_FILE"; echo "home=$(ls -ld "$HOME/.werf" | cut -c1-10)"; cat "$SSL_CERT_FILE"'];
    const runs: { stdout: string; events: string[] }[] = [];
    for (const step of ['first', 'again', 'changed']) {
      if (step === 'changed') writeFileSync(bundle, `${pem('ONE')}\n${pem('TWO')}\n`);
      const since = await engineNow();
      const result = await runWerfRun(show, { cwd: project.dir, env });
      expect(result.exitCode, result.stderr).toBe(0);
      const until = await engineNow();
      runs.push({ stdout: result.stdout, events: await archiveEvents(since, until) });
    }
    const [first, again, changed] = runs as [(typeof runs)[0], (typeof runs)[0], (typeof runs)[0]];
    expect(first.stdout).toMatch(/^file=\/home\/build\/\.werf\/werf-run\/host-ca-[0-9a-f]{16}\.crt\nhome=d[rwx-]{9}\n/);
    expect(first.stdout).toContain(pem('ONE'));
    expect(first.events).toEqual(['extract-to-dir']);
    expect(again.stdout).toBe(first.stdout);
    expect(again.events).toEqual([]);
    expect(changed.stdout).toContain(pem('TWO'));
    expect(changed.stdout.split('\n')[0]).not.toBe(first.stdout.split('\n')[0]);
    // With a global secret key handed in too (into the same volume, 0600, copied every run): the werf home's own mode
    // is the same whether the run copied the bundle (a new store) or not; it used to follow whichever file came first.
    const werfHome = path.join(dir, 'werf-home');
    mkdirSync(werfHome);
    writeFileSync(path.join(werfHome, 'global_secret_key'), 'a'.repeat(64), { mode: 0o600 });
    const modes: string[] = [];
    for (const step of ['bundle and key', 'key only']) {
      if (step === 'bundle and key') writeFileSync(bundle, `${pem('THREE')}\n`);
      const result = await runWerfRun(show, { cwd: project.dir, env: { ...env, WERF_HOME: werfHome } });
      expect(result.exitCode, result.stderr).toBe(0);
      modes.push(result.stdout.split('\n')[1]!);
    }
    expect(modes[1]).toBe(modes[0]);
    expect(modes[0]).toBe(first.stdout.split('\n')[1]);
    expect(changed.events).toEqual(['extract-to-dir']);
  });
});
