/**
 * `werf-run --load build` against a remote-like engine (a second dockerd with a
 * private /tmp, so werf-run ships the checkout there): werf's final images land
 * on THAT engine, where its containers run, not on the engine this machine's
 * docker CLI talks to by default; and werf-run says which engine got them.
 * Holds for any route the images take out of buildah's storage: it looks only
 * at what each engine has and runs. One build of a copy of the example, one engine.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, makeProject, runWerfRun } from './support.js';
import { startPrivateTmpEngine, type PrivateTmpEngine } from './engines/private-tmp.js';

let engine: PrivateTmpEngine | undefined;
beforeAll(async () => {
  engine = await startPrivateTmpEngine();
});
afterAll(async () => {
  await engine?.stop();
});

/** The example as a user's checkout, with the example's own config and this test's own cache volumes (as build.test.ts). */
function exampleCopy() {
  const example = path.join(REPO_ROOT, 'examples', 'hello');
  const files = Object.fromEntries(
    readdirSync(example, { recursive: true, encoding: 'utf8' })
      .filter((rel) => statSync(path.join(example, rel)).isFile())
      .map((rel) => [rel, readFileSync(path.join(example, rel), 'utf8')]),
  );
  const { '.werfrunrc.json': exampleConfig, ...rest } = files;
  return makeProject(rest, JSON.parse(exampleConfig!) as Record<string, unknown>);
}

/** An image's ID on the main engine (the one `docker` reaches without -H), or undefined when it has none. */
async function mainEngineImage(ref: string): Promise<string | undefined> {
  const { exitCode, stdout } = await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], { reject: false });
  return exitCode === 0 ? stdout.trim() : undefined;
}

describe('werf-run --load build on a remote-like engine', () => {
  const project = exampleCopy();
  afterAll(async () => {
    await project.cleanup();
  });

  it("loads the example's images into that engine, runs them there, leaves the main engine alone and names the engine", async () => {
    const remote = engine!;
    const result = await runWerfRun(['--load', 'build'], { cwd: project.dir, env: { DOCKER_HOST: remote.host } });
    expect(result.exitCode, result.stderr).toBe(0);
    // It really was remote-like: the engine's host could not see the checkout, so werf-run shipped it.
    expect(result.stderr).toMatch(/project files: shipped \d+ files/);
    // Each image under werf's name (the report's DockerImageName) and werf-run's alias, whichever way it was streamed.
    expect(result.stderr).toMatch(/loaded backend as hello:\S+ and hello\/backend:latest/);
    expect(result.stderr).toMatch(/loaded frontend as hello:\S+ and hello\/frontend:latest/);
    // werf-run says where the images went: that engine's address, not the default socket.
    expect(result.stderr).toContain(`--load: 2 image(s) loaded, 0 already on the engine (${remote.host})`);

    // The engine that got them runs them (the RUN step's line, baked into the image).
    const run = await remote.docker(['run', '--rm', '--network', 'none', 'hello/backend']);
    expect(run.trim()).toBe('backend built by werf-run');
    const ids = await Promise.all(
      ['hello/backend', 'hello/frontend'].map(async (ref) =>
        (await remote.docker(['image', 'inspect', '--format', '{{.Id}}', ref])).trim(),
      ),
    );
    expect(ids.every((id) => /^sha256:[0-9a-f]{64}$/.test(id))).toBe(true);
    // werf's own names are there too, on the same images.
    const werfNames = [...result.stderr.matchAll(/loaded (?:backend|frontend) as (hello:\S+)/g)].map((m) => m[1]!);
    const werfIds = await Promise.all(
      werfNames.map(async (name) => (await remote.docker(['image', 'inspect', '--format', '{{.Id}}', name])).trim()),
    );
    expect(werfIds).toEqual(ids);
    // The main engine has neither of them: a build of its own names a different image (a new build, a new ID), if any.
    for (const id of ids) expect(await mainEngineImage(id)).toBeUndefined();
    // Nothing werf-run made stays running or stopped on that engine (werf's, the ship and load helpers).
    expect(await remote.docker(['ps', '-a', '-q', '--filter', 'label=werf-run.managed=true'])).toBe('');
  });
});
