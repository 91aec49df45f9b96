/**
 * A loopback registry in werf's arguments (issue 12 item 6): on the rig's
 * local Linux engine, werf-run gives the werf container the host network and
 * says why, so `werf build --repo 127.0.0.1:5000/...` pushes without any
 * network setting; a configured network is kept, with a warning.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { managedContainers, rig, runWerfRun, werfProject } from './support.js';

const BUSYBOX = rig.WERF_RUN_RIG_BUSYBOX!;
const REGISTRY = rig.WERF_RUN_RIG_REGISTRY!;

describe('loopback registries and the network', () => {
  const projects: { cleanup(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(projects.map((p) => p.cleanup()));
  });

  it('pushes to a registry on 127.0.0.1 with no network configured (host network, with a note)', async () => {
    // network: undefined drops the test default (host) from the project's config.
    const project = werfProject({ app: `FROM ${BUSYBOX}\nRUN echo net > /net\n` }, { network: undefined });
    projects.push(project);
    const repo = `${REGISTRY}/werf-run-it-network-${process.pid}-${Date.now()}`;
    const result = await runWerfRun(['build', '--repo', repo], { cwd: project.dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`network host for the werf container: --repo ${repo} (${REGISTRY})`);
    const tags = (await (await fetch(`http://${REGISTRY}/v2/${repo.slice(REGISTRY.length + 1)}/tags/list`)).json()) as { tags?: string[] };
    expect(tags.tags).toContain('app');
    expect(await managedContainers(project.dir)).toEqual([]);
  });

  it('keeps a configured network and warns that it cannot reach the loopback registry', async () => {
    const project = werfProject({ app: `FROM ${BUSYBOX}\n` }, { network: 'none' });
    projects.push(project);
    const result = await runWerfRun(['--dry-run', 'build', '--repo', `${REGISTRY}/x`], { cwd: project.dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('--network none');
    expect(result.stderr).toMatch(/--repo 127\.0\.0\.1:5000\/x \(127\.0\.0\.1:5000\).*network "none".*--network host/);
  });
});
