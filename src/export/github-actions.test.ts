import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { specFor } from '../../test/export-fixture.js';
import { renderGithubActions } from './github-actions.js';

interface Job {
  'runs-on': string;
  container: { image: string; options: string; volumes: string[] };
  env?: Record<string, string>;
  steps: Record<string, unknown>[];
}
const job = (text: string) => (parse(text) as { jobs: Record<string, Job> }).jobs['werf-build']!;

describe('renderGithubActions', () => {
  it('is a YAML container job as build1001 with its home\'s cache volumes', () => {
    const j = job(renderGithubActions(specFor()));
    expect(j.container.image).toBe('ghcr.io/werf/werf:2-stable-alpine');
    expect(j.container.options).toBe('--user 1001 --security-opt seccomp=unconfined --security-opt apparmor=unconfined');
    expect(j.container.volumes).toEqual([
      'werf-run-buildah-storage:/home/build1001/.local/share/containers',
      'werf-run-werf-home:/home/build1001/.werf',
    ]);
    expect(j.steps[0]).toMatchObject({ uses: 'actions/checkout@v4' });
    expect(j.steps[1]).toEqual({ run: 'werf build --repo registry.example/app', env: { HOME: '/home/build1001' } });
  });

  it('takes the user\'s variables from vars or secrets by name, never the runner\'s own', () => {
    expect(job(renderGithubActions(specFor())).env).toEqual({
      GITHUB_TOKEN: '${{ secrets.GITHUB_TOKEN }}',
      WERF_REPO: '${{ vars.WERF_REPO }}',
    });
  });

  it('fuse adds the device to options; privileged adds --privileged; the workdir becomes working-directory', () => {
    expect(job(renderGithubActions(specFor({ mode: 'fuse' }))).container.options).toContain('--device /dev/fuse');
    expect(job(renderGithubActions(specFor({ mode: 'privileged' }))).container.options).toBe('--user 1001 --privileged');
    expect(job(renderGithubActions(specFor({ cwd: '/home/u/app/sub' }))).steps[1]).toMatchObject({ 'working-directory': 'sub' });
  });
});
