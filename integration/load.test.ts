/**
 * `werf-run --load build` on the rig's engine with real buildah: werf's final
 * image reaches `docker images` and runs; it came through werf export (the
 * werf labels werf's build puts on every stage are gone, so its ID is not the
 * report's); a second run with no change loads nothing; a load that fails (the
 * helper is killed, so the engine gets a broken archive and refuses it)
 * leaves no name behind and the previous build's name untouched. One project,
 * one engine. The helper finds no buildah command in the stand-in (it is off
 * PATH, as in werf's images: rig/README.md), so only the export route works.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TEST_IMAGE, makeProject, managedContainers, runWerfRun } from './support.js';

const PROJECT = `loadit${randomBytes(4).toString('hex')}`;
const ALIAS = `${PROJECT}/app:latest`;

/** The engine's images of this project: "repo:tag id" lines. */
async function projectImages(): Promise<string[]> {
  const { stdout } = await execa('docker', ['images', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
  return stdout.split('\n').filter((line) => line.startsWith(`${PROJECT}:`) || line.startsWith(`${PROJECT}/`));
}

describe('werf-run --load build', () => {
  const project = makeProject({
    'werf.yaml': `project: ${PROJECT}\nconfigVersion: 1\n---\nimage: app\ndockerfile: Dockerfile\n`,
    Dockerfile: 'FROM 127.0.0.1:5000/library/busybox:latest\nRUN echo "app built for --load" > /hello.txt\nCMD ["cat", "/hello.txt"]\n',
  });
  afterAll(async () => {
    const names = (await projectImages()).map((line) => line.split(' ')[0]!);
    if (names.length) await execa('docker', ['rmi', '-f', ...names], { reject: false });
    await project.cleanup();
  });

  let firstId = '';

  it("loads werf's final image into the engine, where docker run runs it, and leaves nothing behind", async () => {
    const result = await runWerfRun(['--load', 'build'], { cwd: project.dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`loaded app as ${PROJECT}:[0-9a-f]{56}-\\d+ and ${PROJECT}/app:latest`));
    expect(result.stderr).toContain('--load: 1 image(s) loaded, 0 already on the engine');
    const run = await execa('docker', ['run', '--rm', '--network', 'none', ALIAS]);
    expect(run.stdout).toBe('app built for --load');
    const images = await projectImages();
    expect(images).toHaveLength(2);
    firstId = images[0]!.split(' ')[1]!;
    expect(images.every((line) => line.endsWith(firstId))).toBe(true);
    // No loopback registry name stays.
    const repositories = (await execa('docker', ['images', '--format', '{{.Repository}}'])).stdout.split('\n');
    expect(repositories.filter((repo) => repo.includes('/werf-run-load/'))).toEqual([]);
    // Its own report went with the helper, none landed in the checkout, and no container stayed.
    expect((await execa('git', ['-c', 'safe.directory=*', 'status', '--porcelain'], { cwd: project.dir })).stdout).toBe('');
    expect(await managedContainers(project.dir)).toEqual([]);
  });

  it("loaded the image werf export makes: without the werf labels of the stage in buildah's storage", async () => {
    const { stdout } = await execa('docker', ['image', 'inspect', '--format', '{{json .Config.Labels}}', ALIAS]);
    const labels = (JSON.parse(stdout) ?? {}) as Record<string, string>;
    // The stand-in's build labels every stage as werf does (build_phase.go:963-967); werf export strips them.
    expect(Object.keys(labels).filter((key) => key.startsWith('werf'))).toEqual([]);
    // The helper could not have taken another route: like werf's published images, the werf image has no buildah command.
    const probe = await execa('docker', ['run', '--rm', '--network', 'none', TEST_IMAGE, 'sh', '-c', 'command -v buildah skopeo'], {
      reject: false,
    });
    expect(probe.stdout).toBe('');
    expect(probe.exitCode).not.toBe(0);
  });

  it("loads nothing the second time: the engine has the image by werf's name (read from the user's own report)", async () => {
    const result = await runWerfRun(['--verbose', '--load', 'build', '--save-build-report', '--build-report-path=mine.json'], {
      cwd: project.dir,
    });
    expect(result.exitCode, result.stderr).toBe(0);
    // The report the user asked for stays where they asked, and names the image the engine has.
    const report = JSON.parse(readFileSync(path.join(project.dir, 'mine.json'), 'utf8')) as {
      Images: Record<string, { DockerImageID: string; DockerImageName: string; Final: boolean }>;
    };
    expect(report.Images.app).toMatchObject({ Final: true });
    // werf export changed the config (labels), so the stage's ID in buildah's storage is not the loaded image's.
    expect(report.Images.app!.DockerImageID).not.toBe(firstId);
    expect(result.stderr).toContain(
      `app: the engine has ${report.Images.app!.DockerImageName} (${firstId.slice(0, 19)}) already, nothing to load`,
    );
    expect(result.stderr).toContain('--load: 0 image(s) loaded, 1 already on the engine');
    expect(result.stderr).not.toContain('POST /images/load');
  });

  it('a load the engine refuses leaves no name behind, and the previous build keeps its own', async () => {
    // A new build, whose helper container is killed as it starts: the engine gets a broken archive.
    writeFileSync(
      path.join(project.dir, 'Dockerfile'),
      'FROM 127.0.0.1:5000/library/busybox:latest\nRUN echo changed > /hello.txt && head -c 8000000 /dev/zero > /big\nCMD ["cat", "/hello.txt"]\n',
    );
    await execa('git', ['-c', 'safe.directory=*', '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'change'], {
      cwd: project.dir,
    });
    await execa('chown', ['-R', '1000:1000', project.dir]);
    const events = execa('docker', [
      'events',
      '--filter',
      'event=start',
      '--filter',
      'label=werf-run.role=load',
      '--filter',
      `label=werf-run.project=${project.dir}`,
      '--format',
      '{{.ID}}',
    ]);
    let killed = '';
    events.stdout!.on('data', (chunk: Buffer) => {
      const id = chunk.toString().trim().split('\n')[0];
      if (id && !killed) {
        killed = id;
        void execa('docker', ['kill', id], { reject: false });
      }
    });
    try {
      const result = await runWerfRun(['--load', 'build'], { cwd: project.dir });
      expect(killed, 'the helper container was seen starting').not.toBe('');
      expect(result.exitCode, result.stderr).toBe(3);
      expect(result.stderr).toMatch(
        /--load: streaming app \(\S+\) out of the helper container failed|--load: the engine refused image app/,
      );
      expect(result.stderr).toMatch(/fix: /);
    } finally {
      events.kill();
      await events.catch(() => undefined);
    }
    // Only the first build's two names, on the first build's image.
    const images = await projectImages();
    expect(images.map((line) => line.split(' ')[1])).toEqual([firstId, firstId]);
    expect(await managedContainers(project.dir)).toEqual([]);
  });
});
