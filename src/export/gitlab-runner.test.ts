import { describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { specFor } from '../../test/export-fixture.js';
import { gitlabRunnerToml, renderGitlabRunner } from './gitlab-runner.js';

const docker = (text: string) => (parse(text) as { runners: { docker: Record<string, unknown> } }).runners.docker;

describe('renderGitlabRunner', () => {
  it('is TOML with the [runners.docker] security_opt and cache volumes', () => {
    const text = renderGitlabRunner(specFor());
    expect(text).toMatch(/^\[runners\.docker\]$/m);
    expect(docker(text)).toEqual({
      security_opt: ['seccomp:unconfined', 'apparmor:unconfined'],
      privileged: false,
      volumes: ['werf-run-buildah-storage:/home/build/.local/share/containers', 'werf-run-werf-home:/home/build/.werf'],
    });
  });

  it('fuse adds devices; privileged mode sets privileged = true; SELinux keeps label:disable', () => {
    expect(docker(renderGitlabRunner(specFor({ mode: 'fuse' }))).devices).toEqual(['/dev/fuse']);
    expect(docker(renderGitlabRunner(specFor({ mode: 'privileged' }))).privileged).toBe(true);
    expect(docker(renderGitlabRunner(specFor({ selinux: true }))).security_opt).toContain('label:disable');
  });

  it("the table alone (doctor's) is the export's: the image user's home, userns_mode under userns-remap", () => {
    const toml = gitlabRunnerToml(specFor({ mode: 'privileged', usernsRemap: true, config: { user: 'build1001' } }));
    expect(toml).toMatch(/^\[runners\.docker\]\n/);
    expect(docker(toml)).toEqual({
      privileged: true,
      userns_mode: 'host',
      volumes: ['werf-run-buildah-storage:/home/build1001/.local/share/containers', 'werf-run-werf-home:/home/build1001/.werf'],
    });
    expect(renderGitlabRunner(specFor({ mode: 'privileged', usernsRemap: true, config: { user: 'build1001' } }))).toContain(toml);
  });
});
