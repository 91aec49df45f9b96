import { describe, expect, it } from 'vitest';
import { ciKind } from './ci.js';

describe('ciKind', () => {
  it.each([
    ['GitLab CI', { CI: 'true', GITLAB_CI: 'true' }, { isCI: true, vendor: 'gitlab' }],
    ['GitHub Actions', { CI: 'true', GITHUB_ACTIONS: 'true' }, { isCI: true, vendor: 'github' }],
    ['a vendor-neutral CI', { CI: 'true' }, { isCI: true, vendor: undefined }],
    ['Jenkins (no CI variable)', { JENKINS_URL: 'http://ci', BUILD_ID: '7' }, { isCI: true, vendor: undefined }],
    ['Azure Pipelines (no CI variable)', { TF_BUILD: 'True' }, { isCI: true, vendor: undefined }],
    ['a laptop', { HOME: '/home/me' }, { isCI: false, vendor: undefined }],
    ['CI=false, whatever else is set', { CI: 'false', GITLAB_CI: 'true', BUILD_ID: '7' }, { isCI: false, vendor: undefined }],
  ])('%s', (_where, env, kind) => {
    expect(ciKind(env)).toEqual(kind);
  });

  it('reads only the environment it is given, never process.env', () => {
    const saved = process.env.GITLAB_CI;
    process.env.GITLAB_CI = 'true';
    try {
      expect(ciKind({})).toEqual({ isCI: false, vendor: undefined });
    } finally {
      if (saved === undefined) delete process.env.GITLAB_CI;
      else process.env.GITLAB_CI = saved;
    }
  });
});
