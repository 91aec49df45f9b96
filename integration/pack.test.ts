/**
 * The package as a user gets it: `npm pack` in a clean clone (no dist/: the
 * prepack script builds it), installed with `npm install -g --prefix` into a
 * temp prefix, then the installed `werf-run` run for real against the rig's
 * engine. The tarball has no dependencies (everything is bundled), so the
 * install needs no registry. The clone is of the committed HEAD; its
 * node_modules is the checkout's (the build's tools), linked, not installed.
 */
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, TEST_IMAGE, cleanEnv, makeProject } from './support.js';

/** The install-size goal of issue 13 (§5): what `npm install -g` of the tarball puts on disk. */
const MAX_INSTALL_BYTES = 15 * 1024 * 1024;

describe('the packed tarball, installed', () => {
  let dir: string;
  let prefix: string;
  let tarball: string;
  let project: ReturnType<typeof makeProject>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-pack-'));
    const clone = path.join(dir, 'clone');
    await execa('git', ['clone', '--quiet', '--no-hardlinks', REPO_ROOT, clone]);
    expect(existsSync(path.join(clone, 'dist')), 'a clean clone has no dist/').toBe(false);
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(clone, 'node_modules'), 'dir');
    const packed = await execa('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: clone,
      env: { npm_config_update_notifier: 'false' },
    });
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(dir, info!.filename);
    const files = info!.files.map((f) => f.path);
    expect(files).toContain('dist/bundle/cli.cjs');
    expect(files).toContain('dist/bundle/boot.cjs');
    expect(files).toContain('dist/bundle/THIRD-PARTY-LICENSES.txt');
    expect(files).toContain('dist/index.d.ts');
    prefix = path.join(dir, 'prefix');
    await execa('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--offline', tarball], {
      env: { npm_config_update_notifier: 'false' },
    });
    project = makeProject({ 'werf.yaml': 'project: it\nconfigVersion: 1\n' }, { image: { reference: TEST_IMAGE, pull: 'never' } });
  }, 240_000);
  afterAll(async () => {
    await project?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const installed = () => path.join(prefix, 'bin', 'werf-run');

  it('--version prints the version of package.json', async () => {
    const { version } = (await import(path.join(REPO_ROOT, 'package.json'), { with: { type: 'json' } })).default as { version: string };
    const result = await execa(installed(), ['--version'], { env: cleanEnv(), extendEnv: false });
    expect(result.stdout).toBe(version);
  });

  it('--dry-run build connects to the engine, detects and prints the docker command', async () => {
    const result = await execa(installed(), ['--dry-run', 'build'], { cwd: project.dir, env: cleanEnv(), extendEnv: false, reject: false });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^docker run --rm /m);
    expect(result.stdout).toContain(`${TEST_IMAGE} werf build`);
  });

  it('needs no other package at run time, and stays under 15 MB on disk', async () => {
    const root = path.join(prefix, 'lib', 'node_modules', 'werf-run');
    expect(existsSync(path.join(root, 'node_modules')), 'the install pulled in dependencies').toBe(false);
    const { stdout } = await execa('du', ['-sb', prefix]);
    const bytes = Number(stdout.split(/\s/)[0]);
    expect(bytes).toBeGreaterThan(100_000);
    expect(bytes).toBeLessThanOrEqual(MAX_INSTALL_BYTES);
  });
});
