import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ContainerSpec } from '../engine/port.js';
import { ExitCode, UsageError, WerfRunError } from '../errors.js';
import {
  HELPER_MISSING_IMAGE,
  LOAD_HELPER_SCRIPT,
  aliasFor,
  finalImages,
  helperSpec,
  loadRequest,
  loadSteps,
  loadWithCiEnv,
  withOwnReport,
} from './load.js';

const OWN = '/home/build/.werf/werf-run-load-x.json';
const ID_A = `sha256:${'a'.repeat(64)}`;
const ID_B = `sha256:${'b'.repeat(64)}`;

describe('loadRequest', () => {
  it("asks werf for werf-run's own report when the user asked for none", () => {
    expect(loadRequest(['build'], {}, OWN)).toEqual({
      werfArgs: ['build', '--save-build-report', `--build-report-path=${OWN}`],
      report: { kind: 'own', path: OWN },
    });
    // A path alone does not save (cmd/werf/common/common.go): werf-run's own report replaces it.
    expect(loadRequest(['converge', '--build-report-path', 'r.json'], {}, OWN).report).toEqual({ kind: 'own', path: OWN });
    expect(loadRequest(['build', '--save-build-report=false'], {}, OWN).report.kind).toBe('own');
  });

  it('puts its options before a `--`', () => {
    expect(withOwnReport(['build', '--', 'app'], OWN)).toEqual(['build', '--save-build-report', `--build-report-path=${OWN}`, '--', 'app']);
  });

  it("keeps the user's report where they asked for it, with werf's defaults and extension rule", () => {
    expect(loadRequest(['build', '--save-build-report'], {}, OWN)).toEqual({
      werfArgs: ['build', '--save-build-report'],
      report: { kind: 'user', path: '.werf-build-report.json' },
    });
    expect(loadRequest(['build', '--save-build-report', '--build-report-path', 'out/report'], {}, OWN).report).toEqual({
      kind: 'user',
      path: 'out/report.json',
    });
    expect(loadRequest(['build'], { WERF_SAVE_BUILD_REPORT: 'true', WERF_BUILD_REPORT_PATH: 'r.json' }, OWN).report).toEqual({
      kind: 'user',
      path: 'r.json',
    });
  });

  it('refuses an env-file report, another command and --repo (WERF_REPO too) as usage errors', () => {
    expect(() => loadRequest(['build', '--save-build-report', '--build-report-path=r.env'], {}, OWN)).toThrow(/JSON build report/);
    for (const [args, env, text] of [
      [['version'], {}, /not werf version/],
      [['build', '--repo', '127.0.0.1:5000/app'], {}, /--repo 127.0.0.1:5000\/app/],
      [['build', '--repo=r.example/app'], {}, /--repo r.example\/app/],
      [['converge'], { WERF_REPO: 'r.example/app' }, /--repo r.example\/app/],
    ] as const) {
      let thrown: unknown;
      try {
        loadRequest(args, env, OWN);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(UsageError);
      expect((thrown as UsageError).message).toMatch(text);
      expect((thrown as UsageError).exitCode).toBe(ExitCode.usage);
    }
  });
  it('names the variable when only the environment set it (a CI often sets WERF_REPO alone)', () => {
    const error = (() => {
      try {
        loadRequest(['build'], { WERF_REPO: 'r.example/app' }, OWN);
      } catch (thrown) {
        return thrown as UsageError;
      }
      return undefined;
    })();
    expect(error?.message).toContain('--repo r.example/app (from WERF_REPO)');
    expect(error?.remedy).toContain('unset WERF_REPO');
    expect(() => loadRequest(['build', '--save-build-report'], { WERF_BUILD_REPORT_PATH: 'r.env' }, OWN)).toThrow(
      /--build-report-path r\.env \(from WERF_BUILD_REPORT_PATH\)/,
    );
  });
});

describe('loadWithCiEnv', () => {
  it('refuses --load where werf ci-env runs (it sets WERF_REPO), and says how to turn it off', () => {
    expect(loadWithCiEnv(undefined)).toBeUndefined();
    const refusal = loadWithCiEnv('gitlab');
    expect(refusal).toBeInstanceOf(UsageError);
    expect(refusal?.message).toMatch(/werf ci-env gitlab .* sets WERF_REPO/);
    expect(refusal?.remedy).toMatch(/--ci-env off/);
  });
});

/** A report as werf writes it (pkg/build/build_report.go ReportImageRecord), trimmed to the fields read. */
const record = (over: Record<string, unknown>) => ({
  WerfImageName: 'backend',
  DockerRepo: 'hello',
  DockerTag: `${'d'.repeat(56)}-1796658419063`,
  DockerImageID: ID_A,
  DockerImageName: `hello:${'d'.repeat(56)}-1796658419063`,
  Final: true,
  ...over,
});

describe('finalImages', () => {
  it('takes the final images by name, with their ID and a <project>/<image>:latest alias', () => {
    const text = JSON.stringify({
      Images: {
        frontend: record({ WerfImageName: 'frontend', DockerImageID: ID_B, DockerImageName: 'hello:f-1' }),
        backend: record({}),
        base: record({ WerfImageName: 'base', Final: false }),
      },
    });
    expect(finalImages(text, 'r.json')).toEqual([
      { werfName: 'backend', name: `hello:${'d'.repeat(56)}-1796658419063`, id: ID_A, alias: 'hello/backend:latest' },
      { werfName: 'frontend', name: 'hello:f-1', id: ID_B, alias: 'hello/frontend:latest' },
    ]);
  });

  it('names the report and the image when it cannot be used', () => {
    expect(() => finalImages('{', 'r.json')).toThrow(/report r.json is not JSON/);
    expect(() => finalImages('{}', 'r.json')).toThrow(/has no Images/);
    const noId = JSON.stringify({ Images: { backend: record({ DockerImageID: '' }) } });
    let thrown: unknown;
    try {
      finalImages(noId, 'r.json');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(WerfRunError);
    expect((thrown as WerfRunError).message).toMatch(/names image backend without/);
    expect((thrown as WerfRunError).exitCode).toBe(ExitCode.loadFailed);
  });

  it('gives no alias when a part is not a plain reference component', () => {
    expect(aliasFor('hello', 'backend')).toBe('hello/backend:latest');
    expect(aliasFor('hello', 'Backend')).toBeUndefined();
    expect(aliasFor('hello', 'a/b')).toBeUndefined();
    expect(aliasFor('', 'b')).toBeUndefined();
  });
});

describe('loadSteps', () => {
  it('loads only the images whose ID the engine lacks', () => {
    const images = finalImages(
      JSON.stringify({ Images: { a: record({ WerfImageName: 'a' }), b: record({ WerfImageName: 'b', DockerImageID: ID_B }) } }),
      'r',
    );
    expect(loadSteps(images, (id) => id === ID_A).map((s) => [s.image.werfName, s.action])).toEqual([
      ['a', 'present'],
      ['b', 'load'],
    ]);
  });
});

describe('helperSpec', () => {
  const werf: ContainerSpec = {
    name: 'werf-run-x',
    image: 'werf:2',
    cmd: ['werf', 'build'],
    env: ['WERF_BUILDAH_STORAGE_DRIVER=vfs'],
    user: 'build',
    workingDir: '/project',
    labels: { 'werf-run.managed': 'true' },
    tty: true,
    openStdin: true,
    mounts: [
      { type: 'bind', source: '/project', target: '/project', readOnly: false },
      { type: 'volume', source: 'storage', target: '/home/build/.local/share/containers', readOnly: false },
      { type: 'volume', source: 'home', target: '/home/build/.werf', readOnly: false },
    ],
    securityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
    devices: ['/dev/fuse'],
    privileged: false,
    networkMode: 'host',
  };

  it("is werf's container of the same mode with its volumes only: no project, no network, no TTY, no name", () => {
    const spec = helperSpec(werf, ['push', ID_A, 'hello:t']);
    expect(spec).toMatchObject({
      image: 'werf:2',
      user: 'build',
      env: werf.env,
      securityOpt: werf.securityOpt,
      devices: ['/dev/fuse'],
      privileged: false,
      networkMode: 'none',
      tty: false,
      openStdin: false,
      labels: { 'werf-run.managed': 'true', 'werf-run.role': 'load' },
    });
    expect(spec.name).toBeUndefined();
    expect(spec.mounts.map((m) => m.source)).toEqual(['storage', 'home']);
    expect(spec.cmd.slice(-3)).toEqual(['push', ID_A, 'hello:t']);
  });

  it("the script prints and removes a report, and calls buildah with werf's storage driver (a buildah stub on PATH)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'load-helper-'));
    try {
      writeFileSync(path.join(dir, 'r.json'), '{"Images":{}}');
      const sh = (args: string[], env: Record<string, string> = {}) =>
        execFileSync('sh', ['-c', LOAD_HELPER_SCRIPT, 'werf-run-load', ...args], {
          env: { PATH: `${dir}:/usr/bin:/bin`, HOME: dir, ...env },
          encoding: 'utf8',
        });
      expect(sh(['report', path.join(dir, 'r.json')])).toBe('{"Images":{}}');
      expect(() => sh(['report', path.join(dir, 'r.json')])).toThrow();
      writeFileSync(
        path.join(dir, 'buildah'),
        '#!/bin/sh\n[ "$3" = inspect ] && [ "$6" = "$WANTED" ] && exit 0\n[ "$3" = inspect ] && exit 1\necho "$*"\n',
        {
          mode: 0o755,
        },
      );
      const out = execFileSync('sh', ['-c', `${LOAD_HELPER_SCRIPT}`, 'werf-run-load', 'push', ID_A, 'hello:t'], {
        env: { PATH: `${dir}:/usr/bin:/bin`, HOME: dir, WERF_BUILDAH_STORAGE_DRIVER: 'vfs', WANTED: ID_A },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(out).toBe(`--storage-driver vfs push --quiet ${ID_A} docker-archive:/dev/stdout:hello:t\n`);
      // An image the storage lacks: the script's own exit code, which run/load.ts names.
      let status: number | undefined;
      try {
        sh(['push', ID_B, 'hello:t'], { WANTED: ID_A });
      } catch (error) {
        status = (error as { status?: number }).status;
      }
      expect(status).toBe(HELPER_MISSING_IMAGE);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
