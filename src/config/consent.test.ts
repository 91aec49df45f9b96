import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { envConsent, projectTrust, readUserConfig, recordTrust, revokeTrust, trustStoreFile, userConfigFile } from './consent.js';
import { loadConfig } from './load.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const tmp = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-consent-'));
  dirs.push(dir);
  return dir;
};
const uid = process.getuid?.();

/** A project with a config file, and a home with XDG dirs of its own. */
function setup(config: string, name = '.werfrunrc.json', userConfig?: unknown) {
  const home = tmp();
  const root = tmp();
  writeFileSync(path.join(root, name), config);
  const env = { XDG_CONFIG_HOME: path.join(home, 'config'), XDG_STATE_HOME: path.join(home, 'state') };
  if (userConfig !== undefined) {
    mkdirSync(path.dirname(userConfigFile(env, home)), { recursive: true });
    writeFileSync(userConfigFile(env, home), JSON.stringify(userConfig));
  }
  const trust = (flag = false, extra: Record<string, string> = {}) =>
    projectTrust({ env: { ...env, ...extra }, home, uid, flag, projectRoot: root });
  return { home, root, env, file: path.join(root, name), trust };
}

describe('the variable', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['0', false],
    ['no', false],
    ['1', true],
    ['true', true],
    ['YES', true],
  ])('%s -> %s', (value, expected) =>
    expect(envConsent(value === undefined ? {} : { WERF_RUN_TRUST_PROJECT_CONFIG: value })).toBe(expected),
  );

  it('any other value is an error naming it', () => {
    expect(() => envConsent({ WERF_RUN_TRUST_PROJECT_CONFIG: 'maybe' })).toThrow(
      /WERF_RUN_TRUST_PROJECT_CONFIG is "maybe"; allowed: 1, true/,
    );
  });
});

describe('consent to a project file', () => {
  it('none by default; the flag, the variable, the user config and a recorded trust each give it', () => {
    const s = setup('{"allowPrivileged": true}');
    expect(s.trust().consent(s.file)).toEqual({});
    expect(s.trust(true).consent(s.file).by).toBe('--trust-project-config');
    expect(s.trust(false, { WERF_RUN_TRUST_PROJECT_CONFIG: '1' }).consent(s.file).by).toBe('WERF_RUN_TRUST_PROJECT_CONFIG=1');
    const store = trustStoreFile(s.env, s.home);
    recordTrust(store, s.file, uid, new Date('2026-12-01T00:00:00Z'));
    expect(s.trust().consent(s.file).by).toMatch(/^werf-run trust \(recorded 2026-12-01T00:00:00.000Z/);
    writeFileSync(s.file, '{"allowPrivileged": true, "network": "host"}');
    expect(s.trust().consent(s.file)).toEqual({ changedSince: '2026-12-01T00:00:00.000Z' });
    expect(revokeTrust(store, s.file, uid)).toBe(true);
    expect(revokeTrust(store, s.file, uid)).toBe(false);
    expect(s.trust().consent(s.file)).toEqual({});
  });

  it("the user's config trusts a listed project (a directory, ~/ paths too) or every project", () => {
    const listed = setup('{}', '.werfrunrc.json');
    mkdirSync(path.dirname(userConfigFile(listed.env, listed.home)), { recursive: true });
    writeFileSync(userConfigFile(listed.env, listed.home), JSON.stringify({ trustProjectConfig: [listed.root] }));
    expect(listed.trust().consent(listed.file).by).toContain(`trustProjectConfig "${listed.root}"`);
    const all = setup('{}', '.werfrunrc.json', { trustProjectConfig: true, imageRepositories: ['m.example/werf/werf'] });
    expect(all.trust().consent(all.file).by).toContain('trustProjectConfig: true');
    expect(all.trust().userConfig().imageRepositories).toEqual(['m.example/werf/werf']);
    const other = setup('{}', '.werfrunrc.json', { trustProjectConfig: ['~/elsewhere'] });
    expect(other.trust().consent(other.file)).toEqual({});
    expect(readUserConfig({ env: other.env, home: other.home, uid, projectRoot: other.root }).trustProjectConfig).toEqual([
      path.join(other.home, 'elsewhere'),
    ]);
  });

  it.each([
    [{ trustProjectConfig: ['relative/dir'] }, /"relative\/dir", a relative path/],
    [{ trustProjectConfig: 'yes' }, /trustProjectConfig is "\\"yes\\""; expected true, false or a list of paths/],
    [{ trustProjects: true }, /unknown key "trustProjects"; allowed: trustProjectConfig, imageRepositories/],
    [[], /expected one object/],
  ])('a bad user config is an error naming the file: %j', (config, message) => {
    const s = setup('{}', '.werfrunrc.json', config);
    expect(() => s.trust().consent(s.file)).toThrow(message);
  });

  it.runIf(uid !== undefined)('a user config that others may write decides nothing', () => {
    const s = setup('{}', '.werfrunrc.json', { trustProjectConfig: true });
    chmodSync(userConfigFile(s.env, s.home), 0o666);
    expect(() => s.trust().consent(s.file)).toThrow(/writable by others \(mode 666\)/);
  });

  it('a user config inside the project is refused', () => {
    const s = setup('{}');
    const env = { XDG_CONFIG_HOME: path.join(s.root, '.config') };
    mkdirSync(path.join(s.root, '.config', 'werf-run'), { recursive: true });
    writeFileSync(path.join(s.root, '.config', 'werf-run', 'config.json'), '{"trustProjectConfig": true}');
    expect(() => projectTrust({ env, home: s.home, uid, flag: false, projectRoot: s.root }).consent(s.file)).toThrow(
      /is inside the project/,
    );
  });
});

describe('loadConfig with the trust check', () => {
  it("a project's grants without consent: one error naming each key, the file and the ways to consent", async () => {
    const s = setup(JSON.stringify({ allowPrivileged: true, mounts: [{ source: '/', target: '/host' }], image: { channel: 'ea' } }));
    const error = (await loadConfig({ cwd: s.root, stopDir: s.root, trust: { check: s.trust(), projectRoot: s.root } }).then(
      () => ({}),
      (e: unknown) => e,
    )) as { message: string; remedy: string; exitCode: number };
    expect(error).toMatchObject({ exitCode: 2 });
    expect(error.message).toBe(
      `the project's config ${s.file} grants what only you may grant: allowPrivileged true (lets werf run privileged (root on the Docker host)); mounts[0] "/ -> /host" (mounts /, outside the project, read-only into werf's container); nothing was started`,
    );
    expect(error.remedy).toContain('--trust-project-config (or set WERF_RUN_TRUST_PROJECT_CONFIG=1)');
    expect(error.remedy).toContain(`werf-run trust ${s.file}`);
    expect(error.remedy).toContain('or remove allowPrivileged, mounts from it');
    const ok = await loadConfig({ cwd: s.root, stopDir: s.root, trust: { check: s.trust(true), projectRoot: s.root } });
    expect(ok.config.allowPrivileged).toBe(true);
    expect(ok.consented?.by).toBe('--trust-project-config');
  });

  it('a code config is not loaded (not run) without consent', async () => {
    const s = setup('', '.werfrunrc.cjs');
    const marker = path.join(s.root, 'ran');
    writeFileSync(s.file, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); module.exports = {};`);
    await expect(loadConfig({ cwd: s.root, stopDir: s.root, trust: { check: s.trust(), projectRoot: s.root } })).rejects.toThrow(
      /is code \(JavaScript or TypeScript\): loading it would run it/,
    );
    expect(existsSync(marker)).toBe(false);
    await loadConfig({ cwd: s.root, stopDir: s.root, trust: { check: s.trust(true), projectRoot: s.root } });
    expect(existsSync(marker)).toBe(true);
  });

  it("a file named with --config outside the project is the user's own", async () => {
    const s = setup('{}');
    const mine = path.join(tmp(), 'mine.json');
    writeFileSync(mine, '{"network": "host"}');
    const loaded = await loadConfig({ cwd: s.root, stopDir: s.root, explicitPath: mine, trust: { check: s.trust(), projectRoot: s.root } });
    expect(loaded.config.network).toBe('host');
  });

  it("a value the user set by flag or variable needs no consent for the file's", async () => {
    const s = setup('{"network": "host"}');
    const loaded = await loadConfig({
      cwd: s.root,
      stopDir: s.root,
      overlays: [{ name: 'command-line flags', values: { network: 'host' }, sources: { network: '--network' } }],
      trust: { check: s.trust(), projectRoot: s.root },
    });
    expect(loaded.config.network).toBe('host');
  });
});

describe("a data file's $import (cosmiconfig would follow it to any file, code included)", () => {
  it('is not followed: the code does not run, and the key is unknown', async () => {
    const s = setup('', '.werfrunrc.yaml');
    const marker = path.join(s.root, 'ran');
    writeFileSync(path.join(s.root, 'evil.cjs'), `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); module.exports = {};`);
    writeFileSync(s.file, '$import: ./evil.cjs\n');
    await expect(loadConfig({ cwd: s.root, stopDir: s.root, trust: { check: s.trust(), projectRoot: s.root } })).rejects.toThrow(
      /unknown key \$import/,
    );
    expect(existsSync(marker)).toBe(false);
  });
});
