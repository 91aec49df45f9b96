import { describe, expect, it } from 'vitest';
import { exportHint } from './ci-hint.js';
import { runsInContainer, type ContainerSignals } from '../detect/container-signals.js';

const none: ContainerSignals = { dockerenv: false, containerenv: false, cgroup: '', mountinfo: '' };
const hint = (env: Record<string, string>, over: { inContainer?: boolean; canStartContainers?: boolean } = {}) =>
  exportHint({ inContainer: over.inContainer ?? true, canStartContainers: over.canStartContainers ?? false, env, mode: 'fuse' });

describe('exportHint', () => {
  // The runner config for GitLab, the workflow for GitHub, the Pod under Kubernetes.
  it.each([
    [{ CI: 'true', GITLAB_CI: 'true' }, 'gitlab-runner'],
    [{ CI: 'true', GITLAB_CI: 'true', KUBERNETES_SERVICE_HOST: '10.0.0.1' }, 'kubernetes'],
    [{ CI: 'true', GITHUB_ACTIONS: 'true' }, 'github-actions'],
    [{ CI: 'true', KUBERNETES_SERVICE_HOST: '10.0.0.1' }, 'kubernetes'],
    [{ CI: 'true' }, 'docker-run'],
  ])('in a job container with %j: --export %s', (env, format) => {
    expect(hint(env)).toMatchObject({ format, command: `werf-run --export ${format} --mode fuse` });
  });

  it.each([
    ['outside CI', {}, {}],
    ['with CI=false', { CI: 'false' }, {}],
    ['outside a container', { CI: 'true' }, { inContainer: false }],
    ['when werf-run can start its own container', { CI: 'true' }, { canStartContainers: true }],
  ])('says nothing %s', (_where, env, over) => {
    expect(hint(env, over)).toBeUndefined();
  });
});

describe('runsInContainer', () => {
  // The runtimes' marker files, cgroup v1 paths, Docker's mounts under cgroup v2, and Kubernetes' env.
  it.each([
    ['nothing', false, none, {}],
    ['a cgroup v2 root', false, { ...none, cgroup: '0::/\n' }, {}],
    ["Docker's /.dockerenv", true, { ...none, dockerenv: true }, {}],
    ["Podman's /run/.containerenv", true, { ...none, containerenv: true }, {}],
    ['a kubepods cgroup', true, { ...none, cgroup: '12:pids:/kubepods/burstable/pod1/abc\n' }, {}],
    ['a docker cgroup', true, { ...none, cgroup: '4:memory:/docker/0123abcd\n' }, {}],
    [
      "Docker's hostname mount",
      true,
      { ...none, mountinfo: `612 600 8:1 /var/lib/docker/containers/${'a'.repeat(64)}/hostname /etc/hostname rw\n` },
      {},
    ],
    ["Kubernetes' service env", true, none, { KUBERNETES_SERVICE_HOST: '10.0.0.1' }],
  ] as const)('%s: in a container %s', (_what, inside, signals, env) => {
    expect(runsInContainer(signals, env)).toBe(inside);
  });
});

describe('readContainerSignals', () => {
  it('reads marker files and proc texts under a root, and treats missing ones as absent', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { readContainerSignals } = await import('../detect/container-signals.js');
    const root = `${mkdtempSync(`${tmpdir()}/signals-`)}/`;
    expect(readContainerSignals(root)).toEqual(none);
    mkdirSync(`${root}proc/1`, { recursive: true });
    writeFileSync(`${root}.dockerenv`, '');
    writeFileSync(`${root}proc/1/cgroup`, '0::/\n');
    expect(readContainerSignals(root)).toEqual({ ...none, dockerenv: true, cgroup: '0::/\n' });
  });
});
