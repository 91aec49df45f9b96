/**
 * A cloned repository's committed config grants nothing without the user's
 * consent (config/trust.ts, config/consent.ts), for the built CLI against the
 * real engine: each granting key without consent (exit 2, the key, the file,
 * the ways to consent, nothing started) and with the flag (the grant in the
 * planned docker run); the variable, the user's own config, a recorded trust
 * and a change after it; a .cjs config that is never run; and configs made to
 * eat the machine (a YAML billion laughs, a 10,000-deep JSON) stop at once.
 * Every run has its own XDG config and state dirs: no consent but the test's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { managedContainers, runWerfRun, TEST_IMAGE } from './support.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A committed repository with one config file, and a user (HOME, XDG dirs) of its own. */
function repo(name: string, content: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-trust-'));
  const user = mkdtempSync(path.join(os.tmpdir(), 'werf-run-trust-user-'));
  dirs.push(dir, user);
  writeFileSync(path.join(dir, name), content);
  writeFileSync(path.join(dir, 'werf.yaml'), 'project: t\nconfigVersion: 1\n');
  for (const args of [
    ['init', '-q'],
    ['add', '-A'],
    ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init'],
  ]) {
    expect(spawnSync('git', args, { cwd: dir }).status).toBe(0);
  }
  // A laptop user's checkout (uid 1000), as integration/support.ts makes them: werf-run stops before werf on a root-owned one.
  expect(spawnSync('chown', ['-R', '1000:1000', dir]).status).toBe(0);
  const env = {
    HOME: user,
    XDG_CONFIG_HOME: path.join(user, 'config'),
    XDG_STATE_HOME: path.join(user, 'state'),
    // The user's own choice of image: never a grant.
    WERF_RUN_IMAGE: TEST_IMAGE,
  };
  const file = path.join(dir, name);
  const run = (args: string[], extra: Record<string, string> = {}) =>
    runWerfRun(args, { cwd: dir, env: { ...env, ...extra }, timeoutMs: 60_000 });
  return { dir, user, env, file, run };
}

/** Each granting key: the committed config, and what its grant looks like in the planned docker run. */
const GRANTS: [string, Record<string, unknown>, RegExp][] = [
  ['mode', { allowPrivileged: true, mode: 'privileged' }, /^docker run --rm --privileged /m],
  ['mountDockerSocket', { mountDockerSocket: true }, /--mount type=bind,source=\/var\/run\/docker.sock,target=\/var\/run\/docker.sock/],
  ['mounts', { mounts: [{ source: '/', target: '/host' }] }, /--mount type=bind,source=\/,target=\/host,readonly/],
  ['mounts', { mounts: [{ source: '../../..', target: '/up' }] }, /--mount type=bind,source=\/,target=\/up,readonly/],
  ['env.pass', { env: { pass: ['*'] } }, /--env TRUST_TEST_SECRET_TOKEN /],
  ['network', { network: 'host' }, /--network host/],
  ['user', { user: '0' }, /--user 0 /],
  ['image.reference', { image: { reference: 'evil.example/werf/werf:2' } }, / evil\.example\/werf\/werf:2 werf build/],
  ['image.repository', { image: { repository: 'evil.example/werf/werf' } }, / evil\.example\/werf\/werf:2-stable-alpine werf build/],
  ['engine.host', { engine: { host: 'tcp://127.0.0.1:1' } }, /^# engine: {2}unreachable/m],
];

describe('each granting key of a committed config', () => {
  it.each(GRANTS)('%s %j: exit 2 without consent, the grant with --trust-project-config', async (key, config, granted) => {
    const r = repo('.werfrunrc.json', JSON.stringify(config));
    // The image names its own repository: the user's WERF_RUN_IMAGE would override it.
    const extra: Record<string, string> = key.startsWith('image.') ? { WERF_RUN_IMAGE: '' } : {};
    const refused = await r.run(['--dry-run', 'build'], { TRUST_TEST_SECRET_TOKEN: 's3cr3t', ...extra });
    expect(refused.exitCode, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(`werf-run: error: the project's config ${r.file} grants what only you may grant: ${key}`);
    expect(refused.stderr).toContain(
      'fix: read it, then pass --trust-project-config (or set WERF_RUN_TRUST_PROJECT_CONFIG=1) for this run',
    );
    expect(refused.stderr).toContain(`run \`werf-run trust ${r.file}\``);
    expect(refused.stderr).toContain(`"trustProjectConfig" of your own ${path.join(r.user, 'config', 'werf-run', 'config.json')}`);
    expect(refused.stdout).toBe('');
    const allowed = await r.run(['-v', '--trust-project-config', '--dry-run', 'build'], { TRUST_TEST_SECRET_TOKEN: 's3cr3t', ...extra });
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    expect(allowed.stdout).toMatch(granted);
    expect(allowed.stdout).not.toContain('s3cr3t');
    expect(allowed.stderr).toContain(`(you consented: --trust-project-config)`);
  });
});

describe('the ways to consent', () => {
  const GRANTING = JSON.stringify({ allowPrivileged: true, mode: 'privileged', network: 'host' });

  it('the variable, for a pipeline file to set; any other value is an error', async () => {
    const r = repo('.werfrunrc.json', GRANTING);
    const ok = await r.run(['--dry-run', 'build'], { WERF_RUN_TRUST_PROJECT_CONFIG: '1' });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^docker run --rm --privileged --network host /m);
    const bad = await r.run(['--dry-run', 'build'], { WERF_RUN_TRUST_PROJECT_CONFIG: 'sure' });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('WERF_RUN_TRUST_PROJECT_CONFIG is "sure"; allowed: 1, true, yes, on');
  });

  it("the user's own config trusts the project (and only it), and names mirrors of werf's image", async () => {
    const r = repo('.werfrunrc.json', GRANTING);
    mkdirSync(path.join(r.user, 'config', 'werf-run'), { recursive: true });
    writeFileSync(path.join(r.user, 'config', 'werf-run', 'config.json'), JSON.stringify({ trustProjectConfig: ['/nowhere/else'] }));
    expect((await r.run(['--dry-run', 'build'])).exitCode).toBe(2);
    writeFileSync(path.join(r.user, 'config', 'werf-run', 'config.json'), JSON.stringify({ trustProjectConfig: [r.dir] }));
    const ok = await r.run(['-v', '--dry-run', 'build']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stderr).toContain(
      `(you consented: trustProjectConfig "${r.dir}" in ${path.join(r.user, 'config', 'werf-run', 'config.json')})`,
    );
    expect(ok.stdout).toMatch(/^docker run --rm --privileged --network host /m);

    const mirror = repo('.werfrunrc.json', JSON.stringify({ image: { repository: TEST_IMAGE.split(':2')[0] } }));
    expect((await mirror.run(['--dry-run', 'build'], { WERF_RUN_IMAGE: '' })).exitCode).toBe(2);
    mkdirSync(path.join(mirror.user, 'config', 'werf-run'), { recursive: true });
    writeFileSync(
      path.join(mirror.user, 'config', 'werf-run', 'config.json'),
      JSON.stringify({ imageRepositories: [TEST_IMAGE.split(':2')[0]] }),
    );
    const named = await mirror.run(['-v', '--dry-run', 'build'], { WERF_RUN_IMAGE: '' });
    expect(named.exitCode, named.stderr).toBe(0);
    expect(named.stderr).not.toContain('you consented');
  });

  it('a recorded trust of the exact content; a change needs trusting again; --list and --revoke', async () => {
    const r = repo('.werfrunrc.json', GRANTING);
    const trusted = await r.run(['trust']);
    expect(trusted.exitCode, trusted.stderr).toBe(0);
    expect(trusted.stdout).toMatch(
      new RegExp(`^trusted ${r.file} \\(sha256 [0-9a-f]{12}…\\) as it is now: its grants now count: mode "privileged"`),
    );
    const ok = await r.run(['--dry-run', 'build']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^docker run --rm --privileged --network host /m);

    writeFileSync(r.file, JSON.stringify({ allowPrivileged: true, mode: 'privileged', network: 'host', mountDockerSocket: true }));
    const changed = await r.run(['--dry-run', 'build']);
    expect(changed.exitCode).toBe(2);
    expect(changed.stderr).toMatch(/\(you trusted it on \S+, but it has changed since\); nothing was started/);
    expect((await r.run(['trust', '--list'])).stdout).toContain(`${r.file}  sha256:`);
    expect((await r.run(['trust', '--list'])).stdout).toContain('changed since: not trusted');

    expect((await r.run(['trust', r.file])).exitCode).toBe(0);
    expect((await r.run(['--dry-run', 'build'])).exitCode).toBe(0);
    const revoked = await r.run(['trust', '--revoke']);
    expect(revoked.stdout).toBe(`revoked the trust of ${r.file}\n`);
    expect((await r.run(['--dry-run', 'build'])).exitCode).toBe(2);
  });

  it('a run with a granting config and no consent starts nothing on the engine', async () => {
    const r = repo('.werfrunrc.json', GRANTING);
    const result = await r.run(['build']);
    expect(result.exitCode).toBe(2);
    expect(await managedContainers(r.dir)).toEqual([]);
    // doctor and --export read the config the same way.
    expect((await r.run(['doctor'])).exitCode).toBe(2);
    expect((await r.run(['--export', 'docker-run'])).exitCode).toBe(2);
  });
});

describe('a code config', () => {
  it('is not loaded without consent, by a run, --dry-run, --export or doctor: the file it would write never appears', async () => {
    const marker = path.join(os.tmpdir(), `werf-run-trust-ran-${process.pid}`);
    dirs.push(marker);
    const r = repo(
      '.werfrunrc.cjs',
      `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran'); module.exports = { image: { channel: 'ea' } };`,
    );
    for (const args of [['build'], ['--dry-run', 'build'], ['--export', 'docker-run'], ['doctor']]) {
      const result = await r.run(args);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr).toContain(
        `the project's config ${r.file} is code (JavaScript or TypeScript): loading it would run it on this machine, which only you may allow; it was not loaded`,
      );
      expect(existsSync(marker)).toBe(false);
    }
    const consented = await r.run(['--trust-project-config', '--dry-run', 'build']);
    expect(consented.exitCode, consented.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });
});

describe('configs made to eat the machine', () => {
  it('a YAML billion laughs: exit 2 at once, with a short message', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [i, name] of [...'bcdefghi'].entries()) {
      const prev = 'abcdefghi'[i]!;
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const r = repo('.werfrunrc.yaml', `${levels.join('\n')}\n`);
    const started = Date.now();
    const result = await r.run(['--dry-run', 'build']);
    expect(result.exitCode).toBe(2);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.stderr).toBe(
      `werf-run: error: config ${r.file} holds more than 10000 values (YAML aliases count each time they are used); it was not read further\n  fix: keep only werf-run's settings in it (a few lines), without nested aliases\n`,
    );
  });

  it('a 10,000-deep JSON: exit 2 at once, with a short message', async () => {
    const r = repo('.werfrunrc.json', `${'['.repeat(10_000)}${']'.repeat(10_000)}`);
    const started = Date.now();
    const result = await r.run(['--dry-run', 'build']);
    expect(result.exitCode).toBe(2);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.stderr).toMatch(
      new RegExp(
        `^werf-run: error: config ${r.file} nests deeper than 16 levels \\(at (\\[0\\]){16}\\); it was not read further\\n  fix: [^\\n]+\\n$`,
      ),
    );
    expect(result.stderr.length).toBeLessThan(400);
  });
});
