import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { specFor } from '../../test/export-fixture.js';
import { renderGitlabCi } from './gitlab-ci.js';

describe('renderGitlabCi', () => {
  it('is a YAML job running werf in the werf image, pointing at the runner export', () => {
    const text = renderGitlabCi(specFor({ cwd: '/home/u/app/sub', config: { env: { set: { WERF_LOG_COLOR_MODE: 'off' } } } }));
    expect(parse(text)).toEqual({
      'werf-build': {
        image: 'ghcr.io/werf/werf:2-stable-alpine',
        variables: { WERF_LOG_COLOR_MODE: 'off' },
        script: ['cd sub', 'werf build --repo registry.example/app'],
      },
    });
    expect(text).toContain('werf-run --export gitlab-runner');
    // The user's variables are named for the CI/CD settings; GitLab's own are not.
    expect(text).toMatch(/CI\/CD variables.*: GITHUB_TOKEN, WERF_REPO$/m);
  });
});
