/**
 * Files handed into the werf container through the Engine API's archive
 * upload (plan/files.ts, run/inject.ts) on the real engine: owner, mode and
 * content as planned, parent directories created for the image user, the
 * image user's home left as it was, and nothing on the host's disk.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DockerodeEngine } from '../src/engine/dockerode.js';
import { runAttempt } from '../src/run/attempt.js';
import { plan } from '../src/plan/plan.js';
import { defaultConfig } from '../src/config/schema.js';
import { TEST_IMAGE, managedContainers, rig } from './support.js';

describe('files injected before start', () => {
  it('reach the container owned by the image user with their mode, through one archive', async () => {
    const engine = new DockerodeEngine({ url: rig.WERF_RUN_RIG_DOCKER_HOST!, source: 'test' });
    const script = [
      'cd /home/build',
      'stat -c "%U:%G %a %n" /home/build .docker .docker/config.json .kube .kube/config /tmp/werf-run-it /tmp/werf-run-it/ca.pem',
      'cat .docker/config.json; echo',
      'cat /tmp/werf-run-it/ca.pem',
    ].join('; ');
    const runPlan = plan({
      mode: 'native',
      image: TEST_IMAGE,
      werfArgs: [],
      project: { root: '/nonexistent-werf-run-it', cwd: '/nonexistent-werf-run-it' },
      config: defaultConfig(),
      facts: { selinux: false, usernsRemap: false },
      hostEnv: {},
      tty: false,
      files: [
        { path: '/home/build/.docker/config.json', content: Buffer.from('{"auths":{"r":{"auth":"c2VjcmV0"}}}'), mode: 0o600, secret: true },
        { path: '/home/build/.kube/config', content: Buffer.from('kube'), mode: 0o600 },
        { path: '/tmp/werf-run-it/ca.pem', content: Buffer.from('PEM\n'), mode: 0o644, uid: 0, gid: 0 },
      ],
    });
    // No project mount, no volumes: only the injected files matter here.
    const label = `files-it-${process.pid}`;
    const spec = {
      ...runPlan.container,
      cmd: ['sh', '-c', script],
      mounts: [],
      securityOpt: [],
      labels: { ...runPlan.container.labels, 'werf-run.project': label },
    };
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const result = await runAttempt({ engine, spec, io: { stdout, stderr }, watch: () => undefined, files: runPlan });
    expect(result.exitCode, String(stderr.read() ?? '')).toBe(0);
    expect(String(stdout.read())).toBe(
      [
        'build:build 755 /home/build',
        'build:build 700 .docker',
        'build:build 600 .docker/config.json',
        'build:build 700 .kube',
        'build:build 600 .kube/config',
        'root:root 755 /tmp/werf-run-it',
        'root:root 644 /tmp/werf-run-it/ca.pem',
        '{"auths":{"r":{"auth":"c2VjcmV0"}}}',
        'PEM',
        '',
      ].join('\n'),
    );
    expect(await managedContainers(label)).toEqual([]);
  });
});
