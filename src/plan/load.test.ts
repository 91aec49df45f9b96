import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ContainerSpec } from '../engine/port.js';
import { ExitCode, UsageError, WerfRunError } from '../errors.js';
import {
  HELPER_EXPORT_FAILED,
  HELPER_MISSING_IMAGE,
  HELPER_NO_CRANE,
  HELPER_NO_EXPORT,
  HELPER_NO_REGISTRY,
  HELPER_PULL_FAILED,
  LOAD_HELPER_SCRIPT,
  LOAD_REGISTRY_PORT,
  aliasFor,
  exportArgs,
  exportPassThrough,
  finalImages,
  helperSpec,
  loadError,
  loadRequest,
  loadSteps,
  loadWithCiEnv,
  loopbackRef,
  singleImageReport,
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
  it("skips an image the engine has by werf's name (a previous load) or by the report's ID, and loads the rest", () => {
    const images = finalImages(
      JSON.stringify({
        Images: {
          a: record({ WerfImageName: 'a', DockerImageName: 'hello:a-1' }),
          b: record({ WerfImageName: 'b', DockerImageName: 'hello:b-1', DockerImageID: ID_B }),
          c: record({ WerfImageName: 'c', DockerImageName: 'hello:c-1' }),
        },
      }),
      'r',
    );
    // The exported image's ID differs from the report's (werf export strips werf's labels): its name marks it.
    const engine: Record<string, string> = { 'hello:a-1': ID_B, [ID_B]: ID_B };
    expect(loadSteps(images, (ref) => engine[ref]).map((s) => [s.image.werfName, s.action, 'id' in s ? s.id : ''])).toEqual([
      ['a', 'present', ID_B],
      ['b', 'present', ID_B],
      ['c', 'load', ''],
    ]);
  });
});

describe('the export route', () => {
  const image = { werfName: 'backend', name: `hello:${'d'.repeat(56)}-1796658419063`, id: ID_A, alias: 'hello/backend:latest' };

  it("names the loopback image after werf's image and its stage tag", () => {
    expect(loopbackRef(image)).toBe(`127.0.0.1:${String(LOAD_REGISTRY_PORT)}/werf-run-load/backend:${'d'.repeat(56)}-1796658419063`);
    expect(loopbackRef({ ...image, werfName: 'My_App/Web', name: 'hello:x' })).toMatch(/\/werf-run-load\/my-app-web:x$/);
    expect(loopbackRef({ ...image, werfName: '__', name: 'hello:-bad' })).toMatch(/\/werf-run-load\/image:latest$/);
  });

  it("hands werf export the options that pick werf.yaml, and none of the build's others", () => {
    expect(
      exportPassThrough([
        'build',
        '--dir',
        'sub',
        '--env=prod',
        '--dev',
        '--save-build-report',
        '--platform',
        'linux/amd64',
        '--',
        '--dir',
        'x',
      ]),
    ).toEqual(['--dir=sub', '--env=prod', '--dev']);
    expect(exportPassThrough(['converge', '--config=w.yaml', '--loose-giterminism', '--repo-x', 'y'])).toEqual([
      '--config=w.yaml',
      '--loose-giterminism',
    ]);
  });

  it('gives werf export a report of the one image it exports (a small argument however many images werf built)', () => {
    const text = JSON.stringify({
      Runtime: { Backend: 'buildah' },
      Images: { backend: record({}), frontend: record({ WerfImageName: 'frontend' }) },
    });
    expect(JSON.parse(singleImageReport(text, image))).toEqual({ Runtime: { Backend: 'buildah' }, Images: { backend: record({}) } });
    const args = exportArgs(image, text, ['build', '--dir', 'sub']);
    expect(args.slice(0, 4)).toEqual(['export', 'backend', loopbackRef(image), String(LOAD_REGISTRY_PORT)]);
    expect(args.slice(5)).toEqual(['--dir=sub']);
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

  it("is werf's container of the same mode and mounts with no network, no TTY, no name; the report reader gets the volumes only", () => {
    const spec = helperSpec(werf, exportArgs({ werfName: 'app', name: 'hello:t', id: ID_A }, '{"Images":{}}', ['build']));
    expect(spec).toMatchObject({
      image: 'werf:2',
      user: 'build',
      env: werf.env,
      workingDir: '/project',
      securityOpt: werf.securityOpt,
      devices: ['/dev/fuse'],
      privileged: false,
      networkMode: 'none',
      tty: false,
      openStdin: false,
      labels: { 'werf-run.managed': 'true', 'werf-run.role': 'load' },
    });
    expect(spec.name).toBeUndefined();
    expect(spec.mounts.map((m) => m.source)).toEqual(['/project', 'storage', 'home']);
    expect(spec.cmd.slice(4, 6)).toEqual(['export', 'app']);
    const reader = helperSpec(werf, ['report', '/home/build/.werf/r.json']);
    expect(reader.mounts.map((m) => m.source)).toEqual(['storage', 'home']);
    expect(reader).toMatchObject({ workingDir: '/', labels: { 'werf-run.role': 'load-report' } });
  });

  it('the script prints and removes a report; exports through a loopback crane registry (werf and crane stubs on PATH)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'load-helper-'));
    try {
      writeFileSync(path.join(dir, 'r.json'), '{"Images":{}}');
      const run = (args: string[], env: Record<string, string> = {}): { status: number; stdout: string; stderr: string } => {
        try {
          const stdout = execFileSync('sh', ['-c', LOAD_HELPER_SCRIPT, 'werf-run-load', ...args], {
            env: { PATH: `${dir}/bin:/usr/bin:/bin`, HOME: dir, LOG: path.join(dir, 'calls'), ...env },
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          return { status: 0, stdout, stderr: '' };
        } catch (error) {
          const e = error as { status: number; stdout: string; stderr: string };
          return { status: e.status, stdout: e.stdout, stderr: e.stderr };
        }
      };
      expect(run(['report', path.join(dir, 'r.json')]).stdout).toBe('{"Images":{}}');
      expect(run(['report', path.join(dir, 'r.json')]).status).not.toBe(0);

      const args = exportArgs({ werfName: 'app', name: 'hello:t', id: ID_A }, '{"Images":{"app":{}}}', ['build', '--dir', 'sub']);
      // No crane in the image: its own exit code, which run/load.ts names.
      execFileSync('mkdir', ['-p', `${dir}/bin`]);
      expect(run(args).status).toBe(HELPER_NO_CRANE);
      // crane: `registry serve` logs as crane does once listening, then waits; `pull` prints the "tarball" (node's pipes
      // are sockets, which /dev/stdout cannot open; a container's stdout is a pipe).
      writeFileSync(
        path.join(dir, 'bin', 'crane'),
        '#!/bin/sh\necho "crane $*" >>"$LOG"\ncase "$1" in registry) echo "2026/01/01 00:00:00 serving on port 1" >&2; exec sleep 30 ;; pull) echo "TARBALL of $3 to $4" ;; esac\n',
        { mode: 0o755 },
      );
      expect(run(args).status).toBe(HELPER_NO_EXPORT);
      // werf: --help answers; export checks the report file it was given, and fails as werf's local storage does when asked to.
      writeFileSync(
        path.join(dir, 'bin', 'werf'),
        '#!/bin/sh\n[ "$2" = --help ] && exit 0\necho "werf $*" >>"$LOG"\ngrep -q app "$5" || exit 9\necho "werf log line"\n' +
          '[ -n "${FAIL:-}" ] && { echo "$FAIL"; exit 1; }\nexit 0\n',
        { mode: 0o755 },
      );
      const ok = run(args);
      expect(ok.status).toBe(0);
      const ref = loopbackRef({ werfName: 'app', name: 'hello:t', id: ID_A });
      expect(ok.stdout).toBe(`TARBALL of ${ref} to /dev/stdout\n`);
      expect(readFileSync(path.join(dir, 'calls'), 'utf8').split('\n').filter(Boolean)).toEqual([
        `crane registry serve --address 127.0.0.1:${String(LOAD_REGISTRY_PORT)} --disk ${readFileSync(path.join(dir, 'calls'), 'utf8').match(/--disk (\S+)/)?.[1] ?? '?'}`,
        `werf export app --use-build-report --build-report-path ${readFileSync(path.join(dir, 'calls'), 'utf8').match(/--build-report-path (\S+)/)?.[1] ?? '?'} --tag ${ref} --insecure-registry --dir=sub`,
        `crane pull --insecure ${ref} /dev/stdout`,
      ]);
      const missing = run(args, { FAIL: 'Error: unable to export stage: unable to tag "hello:t" as "x": image not known' });
      expect(missing.status).toBe(HELPER_MISSING_IMAGE);
      expect(missing.stderr).toContain('unable to tag');
      expect(run(args, { FAIL: 'Error: something else' }).status).toBe(HELPER_EXPORT_FAILED);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('loadError', () => {
  const image = { werfName: 'backend', name: 'hello:d-1', id: ID_A };
  const end = (helperExit: number | undefined, stderr = '', refused?: unknown) =>
    loadError('werf:2', image, { helperExit, stderr, ...(refused === undefined ? {} : { refused }) });

  it('is nothing when the helper and the engine succeeded', () => {
    expect(end(0, 'werf log\n')).toBeUndefined();
  });

  it('names the image, what failed and the fix, with exit code loadFailed, for each way the helper ends', () => {
    const cases: [number | undefined, RegExp, RegExp][] = [
      [
        HELPER_MISSING_IMAGE,
        /image backend \(hello:d-1, sha256:a+\) is not in buildah's storage.*unable to tag/,
        /run werf-run --load build again/,
      ],
      [HELPER_NO_CRANE, /werf image werf:2 has no crane command/, /ghcr\.io\/werf\/werf:2-stable-alpine/],
      [HELPER_NO_EXPORT, /werf image werf:2 has no werf export command/, /--repo and docker pull/],
      [HELPER_NO_REGISTRY, /crane registry serve did not start .* for backend \(hello:d-1\): .*address in use/, /werf-run -v --load build/],
      [HELPER_EXPORT_FAILED, /werf export of backend \(hello:d-1\) failed: .*unable to tag/, /werf export's whole output/],
      [HELPER_PULL_FAILED, /crane pull of backend \(hello:d-1\) .* failed/, /werf-run -v/],
      [137, /streaming backend \(hello:d-1\) out of the helper container failed \(exit code 137\)/, /werf-run -v/],
      [undefined, /exit code undefined/, /werf-run -v/],
    ];
    for (const [code, message, fix] of cases) {
      const error = end(code, 'line 0\nline 1\nline 2\nError: unable to tag "x": address in use\n');
      expect(error, String(code)).toBeInstanceOf(WerfRunError);
      expect(error!.message).toMatch(message);
      expect(error!.remedy).toMatch(fix);
      expect(error!.exitCode).toBe(ExitCode.loadFailed);
      // The helper's last three lines only.
      expect(error!.message).not.toContain('line 0');
    }
  });

  it("gives the engine's refusal when the helper succeeded", () => {
    const error = end(0, '', new Error('archive/tar: invalid tar header'));
    expect(error!.message).toMatch(/the engine refused image backend \(hello:d-1\): archive\/tar: invalid tar header/);
    expect(error!.remedy).toMatch(/disk space/);
  });
});
