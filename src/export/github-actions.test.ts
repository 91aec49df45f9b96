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
  it("native and fuse: a step on the runner lets buildah create user namespaces, then werf runs with docker run as build1001 with its home's cache volumes", () => {
    const text = renderGithubActions(specFor());
    const j = job(text);
    expect(j.container).toBeUndefined();
    expect(j.steps[0]).toMatchObject({ uses: 'actions/checkout@v4' });
    expect(String(j.steps[1]!.run)).toContain('sudo sysctl -qw "kernel.$k=0"');
    expect(String(j.steps[1]!.run)).toContain('apparmor_restrict_unprivileged_userns apparmor_restrict_unprivileged_unconfined');
    const run = String(j.steps[2]!.run);
    for (const word of [
      '--security-opt seccomp=unconfined',
      '--security-opt apparmor=unconfined',
      '--user build1001',
      'source=werf-run-buildah-storage,target=/home/build1001/.local/share/containers',
      'ghcr.io/werf/werf:2-stable-alpine werf build --repo registry.example/app',
    ]) {
      expect(run).toContain(word);
    }
    expect(text).toContain("after a step that lets werf's buildah create user namespaces (Ubuntu 24.04 runners forbid them by AppArmor");
    expect(String(job(renderGithubActions(specFor({ mode: 'fuse' }))).steps[2]!.run)).toContain('--device /dev/fuse');
  });

  it("privileged: a container job as build1001 (uid 1001) with its home's cache volumes, no step on the runner", () => {
    const j = job(renderGithubActions(specFor({ mode: 'privileged' })));
    expect(j.container.image).toBe('ghcr.io/werf/werf:2-stable-alpine');
    expect(j.container.options).toBe('--user 1001 --privileged');
    expect(j.container.volumes).toEqual([
      'werf-run-buildah-storage:/home/build1001/.local/share/containers',
      'werf-run-werf-home:/home/build1001/.werf',
    ]);
    expect(j.steps).toHaveLength(2);
    expect(j.steps[1]).toEqual({ run: 'werf build --repo registry.example/app', env: { HOME: '/home/build1001' } });
    expect(job(renderGithubActions(specFor({ mode: 'privileged', cwd: '/home/u/app/sub' }))).steps[1]).toMatchObject({
      'working-directory': 'sub',
    });
  });

  it("takes the user's variables from vars or secrets by name, never the runner's own", () => {
    expect(job(renderGithubActions(specFor())).env).toEqual({
      GITHUB_TOKEN: '${{ secrets.GITHUB_TOKEN }}',
      WERF_REPO: '${{ vars.WERF_REPO }}',
    });
  });
});
