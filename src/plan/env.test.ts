import { describe, expect, it } from 'vitest';
import { DEFAULT_ENV_PASS, redactEnvEntry, selectEnv } from './env.js';

describe('redactEnvEntry', () => {
  it.each([
    ['GITLAB_TOKEN=glpat-123', 'GITLAB_TOKEN=<redacted>'],
    ['CI_JOB_JWT=eyJhbGciOi', 'CI_JOB_JWT=<redacted>'],
    ['WERF_KUBE_CONFIG_BASE64=YXBpVmVyc2lvbg==', 'WERF_KUBE_CONFIG_BASE64=<redacted>'],
    [
      'CI_REPOSITORY_URL=https://gitlab-ci-token:s3cr3t@gitlab.example.com/g/p.git',
      'CI_REPOSITORY_URL=https://gitlab-ci-token:<redacted>@gitlab.example.com/g/p.git',
    ],
    ['HTTPS_PROXY=http://u:pw@proxy:3128', 'HTTPS_PROXY=http://u:<redacted>@proxy:3128'],
  ])('%s -> %s', (entry, printed) => {
    expect(redactEnvEntry(entry)).toBe(printed);
  });
  it('leaves ordinary values alone, including URLs without a password', () => {
    expect(redactEnvEntry('WERF_REPO=registry.example.com/app')).toBe('WERF_REPO=registry.example.com/app');
    expect(redactEnvEntry('CI_PROJECT_URL=https://gitlab.example.com/g/p')).toBe('CI_PROJECT_URL=https://gitlab.example.com/g/p');
  });
});

describe('selectEnv', () => {
  it("never passes werf-run's own variables, even misspelled ones that match WERF_*", () => {
    expect(selectEnv({ WERF_RUN_TYPO: '1', WERF_RUN_MODE: 'fuse', WERF_REPO: 'r' }, ['WERF_*'], {})).toEqual(['WERF_REPO=r']);
  });
});

describe('what the default pass list withholds', () => {
  it('CI_JOB_JWT*, CI_REPOSITORY_URL and BUILDKITE_AGENT_ACCESS_TOKEN: werf never reads them; CI_JOB_TOKEN (werf ci-env) still passes', () => {
    const host = {
      CI_JOB_JWT: 'j',
      CI_JOB_JWT_V2: 'j2',
      CI_REPOSITORY_URL: 'https://gitlab-ci-token:t@g/x.git',
      BUILDKITE_AGENT_ACCESS_TOKEN: 'b',
      CI_JOB_TOKEN: 'ok',
      CI_REGISTRY: 'r',
      BUILDKITE_BRANCH: 'main',
    };
    expect(selectEnv(host, [...DEFAULT_ENV_PASS], {})).toEqual(['BUILDKITE_BRANCH=main', 'CI_JOB_TOKEN=ok', 'CI_REGISTRY=r']);
    // Named exactly by the user, one passes.
    expect(selectEnv(host, [...DEFAULT_ENV_PASS, 'CI_REPOSITORY_URL'], {})).toContain(
      'CI_REPOSITORY_URL=https://gitlab-ci-token:t@g/x.git',
    );
  });
});
