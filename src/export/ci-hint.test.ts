import { describe, expect, it } from 'vitest';
import { exportHint } from './ci-hint.js';
import { runsInContainer, type ContainerSignals } from '../detect/container-signals.js';

const none: ContainerSignals = { dockerenv: false, containerenv: false, cgroup: '', mountinfo: '' };
const hint = (env: Record<string, string>, over: { inContainer?: boolean; canStartContainers?: boolean } = {}) =>
  exportHint({ inContainer: over.inContainer ?? true, canStartContainers: over.canStartContainers ?? false, env, mode: 'fuse' });

describe('exportHint', () => {
  it('names the runner config for GitLab, the workflow for GitHub, the Pod under Kubernetes', () => {
    expect(hint({ CI: 'true', GITLAB_CI: 'true' })).toMatchObject({ format: 'gitlab-runner', command: 'werf-run --export gitlab-runner --mode fuse' });
    expect(hint({ CI: 'true', GITLAB_CI: 'true', KUBERNETES_SERVICE_HOST: '10.0.0.1' })?.format).toBe('kubernetes');
    expect(hint({ CI: 'true', GITHUB_ACTIONS: 'true' })?.format).toBe('github-actions');
    expect(hint({ CI: 'true', KUBERNETES_SERVICE_HOST: '10.0.0.1' })?.format).toBe('kubernetes');
    expect(hint({ CI: 'true' })?.format).toBe('docker-run');
  });

  it('says nothing outside CI, outside a container, or when werf-run can start its own container', () => {
    expect(hint({})).toBeUndefined();
    expect(hint({ CI: 'false' })).toBeUndefined();
    expect(hint({ CI: 'true' }, { inContainer: false })).toBeUndefined();
    expect(hint({ CI: 'true' }, { canStartContainers: true })).toBeUndefined();
  });
});

describe('runsInContainer', () => {
  it('reads the runtimes\' marker files, cgroup v1 paths, Docker\'s mounts under cgroup v2, and Kubernetes\' env', () => {
    expect(runsInContainer(none, {})).toBe(false);
    expect(runsInContainer({ ...none, cgroup: '0::/\n' }, {})).toBe(false);
    expect(runsInContainer({ ...none, dockerenv: true }, {})).toBe(true);
    expect(runsInContainer({ ...none, containerenv: true }, {})).toBe(true);
    expect(runsInContainer({ ...none, cgroup: '12:pids:/kubepods/burstable/pod1/abc\n' }, {})).toBe(true);
    expect(runsInContainer({ ...none, cgroup: '4:memory:/docker/0123abcd\n' }, {})).toBe(true);
    const id = 'a'.repeat(64);
    expect(runsInContainer({ ...none, mountinfo: `612 600 8:1 /var/lib/docker/containers/${id}/hostname /etc/hostname rw\n` }, {})).toBe(true);
    expect(runsInContainer(none, { KUBERNETES_SERVICE_HOST: '10.0.0.1' })).toBe(true);
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
