/** The first end-to-end slice: werf-run build on the rig, success and failure. */
import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { execa } from 'execa';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { REPO_ROOT, makeProject, managedContainers, runWerfRun, werfProject } from './support.js';

describe('werf-run build on the rig', () => {
  const projects: { cleanup(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(projects.map((p) => p.cleanup()));
  });

  it('builds the example project in native mode and leaves no container behind', async () => {
    // A copy of the example as a user's checkout (owned by uid 1000): werf writes into the checkout it builds, and this
    // repository's own checkout may belong to root here (werf-run refuses that for a build: plan/checkout-owner.ts).
    const example = path.join(REPO_ROOT, 'examples', 'hello');
    const files = Object.fromEntries(
      readdirSync(example, { recursive: true, encoding: 'utf8' })
        .filter((rel) => statSync(path.join(example, rel)).isFile())
        .map((rel) => [rel, readFileSync(path.join(example, rel), 'utf8')]),
    );
    // The example's own config, with this test's own cache volumes: werf reuses a stage whose digest is stored already
    // (the stand-in as werf, build_phase.go), so in the shared default volume another copy of the example would be reused
    // and its RUN step never print here.
    const { '.werfrunrc.json': exampleConfig, ...rest } = files;
    const project = makeProject(rest, JSON.parse(exampleConfig!) as Record<string, unknown>);
    projects.push(project);
    const result = await runWerfRun(['--verbose', 'build'], { cwd: project.dir });
    expect(result.stderr).toContain('mode: native');
    expect(result.stdout + result.stderr).toContain('backend built by werf-run');
    expect(result.stdout).toMatch(/Building image backend/);
    expect(result.stdout).toMatch(/Building image frontend/);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await managedContainers(project.dir)).toEqual([]);
  });

  it("passes werf's non-zero exit code and error through when a Dockerfile is broken", async () => {
    const project = werfProject({ broken: 'FROM 127.0.0.1:5000/library/busybox:latest\nRUN echo about to fail && exit 7\n' });
    projects.push(project);
    const result = await runWerfRun(['build'], { cwd: project.dir });
    expect(result.stdout + result.stderr).toContain('about to fail');
    // The stand-in exits with buildah's code; buildah reports the failed RUN (exit status 7) and exits 1.
    expect(result.exitCode).not.toBe(0);
    expect(result.exitCode).not.toBe(125);
    expect(result.stderr).toMatch(/exit status 7/);
    expect(await managedContainers(project.dir)).toEqual([]);
  });

  it('runs werf in the directory the user stands in, inside the git root mounted at its own path', async () => {
    const project = werfProject({ app: 'FROM 127.0.0.1:5000/library/busybox:latest\n' });
    projects.push(project);
    await execa('mkdir', ['-p', path.join(project.dir, 'sub', 'dir')]);
    const result = await runWerfRun(['--dry-run', 'version'], { cwd: path.join(project.dir, 'sub', 'dir') });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`--workdir ${project.dir}/sub/dir`);
    expect(result.stdout).toContain(`source=${project.dir},target=${project.dir}`);
  });
});
