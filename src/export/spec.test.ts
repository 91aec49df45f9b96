import { describe, expect, it } from 'vitest';
import { specFor } from '../../test/export-fixture.js';
import { EXPORT_FORMATS } from './formats.js';
import { renderExport } from './render.js';
import { dnsName, isRunnerProvided, uidOf } from './spec.js';

describe('toExportSpec', () => {
  it("keeps the mode settings and cache volumes, and drops labels, TTY and werf-run's own variables", () => {
    const spec = specFor({ mode: 'fuse', config: { volumes: { storage: 'st', werfHome: 'hm' } } });
    expect(spec).toMatchObject({
      mode: 'fuse',
      securityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      devices: ['/dev/fuse'],
      privileged: false,
      user: 'build',
      volumes: { storage: 'st', werfHome: 'hm' },
      workdir: '',
    });
    expect(spec.envNames).toEqual(['CI', 'GITHUB_TOKEN', 'WERF_REPO']);
    expect(JSON.stringify(spec)).not.toMatch(/werf-run\.managed|WERF_RUN_MODE|"tty"/);
  });

  it('keeps host variables by name only; config values only when the name is not secret-looking', () => {
    const spec = specFor({ config: { env: { set: { WERF_LOG_COLOR_MODE: 'off', REGISTRY_PASSWORD: 'hunter2' } } } });
    expect(spec.envFixed).toEqual({ WERF_LOG_COLOR_MODE: 'off' });
    expect(spec.envNames).toContain('REGISTRY_PASSWORD');
  });

  it('records where werf runs relative to the project root', () => {
    expect(specFor({ cwd: '/home/u/app/sub/dir' }).workdir).toBe('sub/dir');
  });
});

describe('ciEnv in exports', () => {
  it("sources werf ci-env before werf in a job's script, and in one shell where a container runs werf", () => {
    const gitlab = renderExport('gitlab-ci', specFor({ ciEnv: 'gitlab', werfArgs: ['converge'] }));
    expect(gitlab).toMatch(/script:\n\s+- \. "\$\(werf ci-env gitlab --as-file\)"\n\s+- werf converge\n/);
    const github = renderExport('github-actions', specFor({ mode: 'privileged', ciEnv: 'github', werfArgs: ['converge'] }));
    expect(github).toContain('. "$(werf ci-env github --as-file)"\n');
    expect(renderExport('github-actions', specFor({ ciEnv: 'github', werfArgs: ['converge'] }))).toContain(
      `sh -c 'f="$(werf ci-env github --as-file)"`,
    );
    const docker = renderExport('docker-run', specFor({ ciEnv: 'gitlab', werfArgs: ['converge'] }));
    expect(docker).toContain(`sh -c 'f="$(werf ci-env gitlab --as-file)" || exit $?; . "$f" || exit $?; exec werf "$@"' werf converge`);
    expect(renderExport('gitlab-ci', specFor({ werfArgs: ['converge'] }))).not.toContain('ci-env');
    // What ci-env reads reaches a container of the snippet's own, by name.
    expect(docker).toContain('--env CI_JOB_TOKEN ');
    expect(renderExport('docker-run', specFor({ ciEnv: 'github', werfArgs: ['converge'] }))).toContain('--env GITHUB_REPOSITORY ');
  });
});

describe('every format', () => {
  const secretSpec = () =>
    specFor({
      mode: 'fuse',
      hostEnv: { WERF_REPO: 'host-repo-value', GITHUB_TOKEN: 'ghs_hostsecret', WERF_SECRET_KEY: 'k3y-value' },
      config: { env: { set: { API_TOKEN: 'tok-value', PLAIN: 'plain-value', MIRROR: 'https://bot:url-pass@mirror.example/x' } } },
    });
  it.each(EXPORT_FORMATS)('%s carries no host env value and no secret value', (format) => {
    const text = renderExport(format, secretSpec());
    expect(text).not.toMatch(/ghs_hostsecret|k3y-value|tok-value|host-repo-value|url-pass/);
    // A URL with a password goes by name, like a secret, never masked into a wrong value.
    expect(text).not.toContain('<redacted>');
    // The runner's config holds no job variables; every other format carries the project's fixed ones.
    if (format === 'gitlab-runner') expect(text).not.toContain('plain-value');
    else expect(text).toContain('plain-value');
    expect(text).toContain(`--export ${format}`);
  });
});

describe('helpers', () => {
  it('names things as DNS labels', () => {
    expect(dnsName('My_App.v2')).toBe('werf-my-app-v2');
    expect(dnsName(undefined)).toBe('werf');
  });
  it('knows the image contract uids', () => {
    expect([uidOf('build'), uidOf('build1001'), uidOf('root'), uidOf('42'), uidOf('someone')]).toEqual([1000, 1001, 0, 42, undefined]);
  });
  // The runner's own variables (plan/env.ts's CI_JOB_VARS), GITHUB_TOKEN being the user's.
  it.each([
    ['CI', true],
    ['CI_JOB_ID', true],
    ['CI_JOB_TOKEN', true],
    ['GITLAB_USER_LOGIN', true],
    ['GITHUB_SHA', true],
    ['RUNNER_OS', true],
    ['BUILDKITE_BRANCH', true],
    ['JENKINS_URL', true],
    ['GITHUB_TOKEN', false],
    ['WERF_REPO', false],
    ['CIRCLECI', false],
    ['DOCKER_AUTH_CONFIG', false],
  ])('isRunnerProvided(%s) is %s', (name, provided) => {
    expect(isRunnerProvided(name)).toBe(provided);
  });
});
