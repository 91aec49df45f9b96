/**
 * An engine whose host cannot see the checkout (a second dockerd with a
 * private /tmp: like a remote engine or Docker-in-Docker): werf-run finds out
 * through the engine, ships the project into a volume, and on the next run
 * ships only what changed. Real engine, real buildah in the stand-in.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProject, runWerfRun } from './support.js';
import { startPrivateTmpEngine, type PrivateTmpEngine } from './engines/private-tmp.js';

let engine: PrivateTmpEngine;
beforeAll(async () => {
  engine = await startPrivateTmpEngine();
});
afterAll(async () => {
  await engine?.stop();
});

describe('an engine that cannot see the checkout', () => {
  it('builds by shipping the project; the second build ships only the changed file', async () => {
    const project = makeProject({
      'werf.yaml': 'project: shipped\nconfigVersion: 1\n---\nimage: app\ndockerfile: app.Dockerfile\n',
      'app.Dockerfile': 'FROM 127.0.0.1:5000/library/busybox:latest\nCOPY msg.txt /msg.txt\nRUN cat /msg.txt\n',
      'msg.txt': 'first message\n',
      'sub/other.txt': 'unchanged\n',
    });
    try {
      // The project is in this machine's /tmp; the engine's /tmp is its own.
      await expect(engine.docker(['run', '--rm', '--mount', `type=bind,source=${project.dir},target=/p,readonly`, '127.0.0.1:5000/library/busybox:latest', 'true'])).rejects.toThrow(/bind source path does not exist|no such file/i);
      const env = { DOCKER_HOST: engine.host };
      const first = await runWerfRun(['--verbose', 'build'], { cwd: project.dir, env });
      expect(first.exitCode, first.stderr).toBe(0);
      expect(first.stdout + first.stderr).toContain('first message');
      const shippedFirst = /project files: shipped (\d+) files \(([^)]+)\) into volume (werf-run-ship-\w+) in [\d.]+ s \(the engine's host does not see this checkout: the engine's host has no /.exec(first.stderr);
      expect(shippedFirst, first.stderr).not.toBeNull();
      expect(Number(shippedFirst![1])).toBeGreaterThan(8);

      writeFileSync(path.join(project.dir, 'msg.txt'), 'second message\n');
      const second = await runWerfRun(['--verbose', 'build'], { cwd: project.dir, env });
      expect(second.exitCode, second.stderr).toBe(0);
      expect(second.stdout + second.stderr).toContain('second message');
      expect(second.stderr).toMatch(new RegExp(`project files: shipped 1 changed of ${shippedFirst![1]} files \\(15 B\\) into volume ${shippedFirst![3]}`));
      expect(second.stderr.match(/shipped \/\S+/g)).toEqual([`shipped ${path.join(project.dir, 'msg.txt')}`]);
    } finally {
      await project.cleanup();
    }
  });
});
