/**
 * Finding the engine for real: a second dockerd of this test's own (unix socket
 * at a non-default path and tcp on 127.0.0.1), docker contexts made with the
 * real docker CLI, and endpoints where nothing answers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startSecondDockerd, type StartedEngine } from './engines.js';
import { TEST_IMAGE, runWerfRun, werfProject } from './support.js';

/** A tag only the second engine has: a run that succeeds with it and --pull never ran there. */
const SECOND_ONLY = 'werf-run-it/second-engine-only:latest';

describe('finding the Docker Engine', () => {
  let second: StartedEngine;
  let project: ReturnType<typeof werfProject>;
  let emptyConfig: string;
  let contextConfig: string;

  beforeAll(async () => {
    second = await startSecondDockerd();
    project = werfProject({ app: 'FROM 127.0.0.1:5000/library/busybox:latest\nRUN echo built on the second engine\n' });
    emptyConfig = mkdtempSync(path.join(os.tmpdir(), 'wr-cfg-'));
    contextConfig = mkdtempSync(path.join(os.tmpdir(), 'wr-ctx-'));
  });
  afterAll(async () => {
    for (const dir of [emptyConfig, contextConfig]) if (dir) rmSync(dir, { recursive: true, force: true });
    const results = await Promise.allSettled([second?.stop(), project?.cleanup()]);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  });

  /** The user's docker setup: none at all unless a test says otherwise. */
  const env = (over: Record<string, string | undefined>) => ({
    DOCKER_CONFIG: emptyConfig,
    DOCKER_HOST: undefined,
    DOCKER_CONTEXT: undefined,
    ...over,
  });
  const realDocker = (args: string[]) =>
    execa('docker', args, { env: { DOCKER_CONFIG: contextConfig, DOCKER_HOST: undefined, DOCKER_CONTEXT: undefined } });

  it('DOCKER_HOST=unix://<non-default path>: pulls the missing werf image into that engine and builds there', async () => {
    expect((await second.docker(['image', 'inspect', TEST_IMAGE])).exitCode, 'the new engine starts without the image').not.toBe(0);
    const result = await runWerfRun(['--verbose', 'build'], { cwd: project.dir, env: env({ DOCKER_HOST: second.socketUrl }) });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`engine: ${second.socketUrl} (from DOCKER_HOST)`);
    expect(result.stderr).toContain(`pulling ${TEST_IMAGE}`);
    expect(result.stderr).toMatch(new RegExp(`pulled ${TEST_IMAGE.replace(/[.]/g, '\\.')} \\(\\d+/\\d+ layers`));
    expect(result.stdout + result.stderr).toContain('built on the second engine');
    expect((await second.docker(['image', 'inspect', TEST_IMAGE])).exitCode, 'the image is now on the second engine').toBe(0);
    expect((await second.docker(['ps', '-aq', '--filter', `label=werf-run.project=${project.dir}`])).stdout.trim()).toBe('');
    await second.docker(['tag', TEST_IMAGE, SECOND_ONLY]);
  });

  it('DOCKER_HOST=tcp://127.0.0.1:PORT reaches the same engine over tcp', async () => {
    const result = await runWerfRun(['--verbose', '--image', SECOND_ONLY, '--pull', 'never', 'version'], {
      cwd: project.dir,
      env: env({ DOCKER_HOST: second.tcpUrl }),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`engine: ${second.tcpUrl} (from DOCKER_HOST)`);
    expect(result.stdout).toContain('test-rig stand-in for werf');
  });

  it('follows the current context of config.json, made with the real docker CLI', async () => {
    await realDocker(['context', 'create', 'wr-second', '--docker', `host=${second.socketUrl}`]);
    await realDocker(['context', 'use', 'wr-second']);
    const configFile = path.join(contextConfig, 'config.json');
    expect(JSON.parse(readFileSync(configFile, 'utf8')).currentContext).toBe('wr-second');
    const result = await runWerfRun(['--verbose', '--image', SECOND_ONLY, '--pull', 'never', 'version'], {
      cwd: project.dir,
      env: env({ DOCKER_CONFIG: contextConfig }),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`engine: ${second.socketUrl} (from docker context "wr-second" (currentContext in ${configFile}))`);
    expect(result.stdout).toContain('test-rig stand-in for werf');
  });

  it('DOCKER_CONTEXT overrides the current context, and --context overrides DOCKER_CONTEXT', async () => {
    await realDocker(['context', 'create', 'wr-tcp', '--docker', `host=${second.tcpUrl}`]);
    const viaEnv = await runWerfRun(['--verbose', '--image', SECOND_ONLY, '--pull', 'never', 'version'], {
      cwd: project.dir,
      env: env({ DOCKER_CONFIG: contextConfig, DOCKER_CONTEXT: 'wr-tcp' }),
    });
    expect(viaEnv.exitCode, viaEnv.stderr).toBe(0);
    expect(viaEnv.stderr).toContain(`engine: ${second.tcpUrl} (from docker context "wr-tcp" (DOCKER_CONTEXT))`);
    const viaFlag = await runWerfRun(['--verbose', '--context', 'wr-second', '--image', SECOND_ONLY, '--pull', 'never', 'version'], {
      cwd: project.dir,
      env: env({ DOCKER_CONFIG: contextConfig, DOCKER_CONTEXT: 'wr-tcp' }),
    });
    expect(viaFlag.exitCode, viaFlag.stderr).toBe(0);
    expect(viaFlag.stderr).toContain(`engine: ${second.socketUrl} (from docker context "wr-second" (--context))`);
  });

  it('a context that does not exist is a config error (exit 2) naming the ones that do', async () => {
    const result = await runWerfRun(['version'], {
      cwd: project.dir,
      env: env({ DOCKER_CONFIG: contextConfig, DOCKER_CONTEXT: 'wr-missing' }),
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('docker context "wr-missing" (from DOCKER_CONTEXT) does not exist');
    expect(result.stderr).toContain('default, wr-second, wr-tcp');
  });

  it('an unreachable DOCKER_HOST fails with exit 125, says what was tried and why, and does not fall back', async () => {
    const missing = `unix://${path.join(emptyConfig, 'no-engine.sock')}`;
    const result = await runWerfRun(['version'], { cwd: project.dir, env: env({ DOCKER_HOST: missing }) });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(`${missing} (from DOCKER_HOST): no such socket (ENOENT)`);
    expect(result.stderr).toContain('tries no other engine');
    // The rig's default socket answers, yet werf-run did not use it.
    expect(result.stderr).not.toContain('/var/run/docker.sock');
    expect(result.stderr).toMatch(/fix: .*unset DOCKER_HOST/);
    expect(result.stdout).toBe('');
  });

  it('a context whose engine refuses connections fails the same way, naming the context', async () => {
    const port = await freePort();
    await realDocker(['context', 'create', 'wr-dead', '--docker', `host=tcp://127.0.0.1:${port}`]);
    const result = await runWerfRun(['version'], {
      cwd: project.dir,
      env: env({ DOCKER_CONFIG: contextConfig, DOCKER_CONTEXT: 'wr-dead' }),
    });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(
      `tcp://127.0.0.1:${port} (from docker context "wr-dead" (DOCKER_CONTEXT)): connection refused (ECONNREFUSED)`,
    );
    expect(result.stderr).toContain('unset DOCKER_CONTEXT');
  });

  it('the "never" pull policy with the image missing on the engine is a clear error (exit 125)', async () => {
    const missingImage = '127.0.0.1:5000/werf-run-test/werf-sh:latest';
    expect((await second.docker(['image', 'inspect', missingImage])).exitCode).not.toBe(0);
    const result = await runWerfRun(['--image', missingImage, '--pull', 'never', 'version'], {
      cwd: project.dir,
      env: env({ DOCKER_HOST: second.socketUrl }),
    });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(`image ${missingImage} is not on the engine at ${second.socketUrl} and the pull policy is "never"`);
    expect(result.stderr).toContain('fix: pull it');
    expect((await second.docker(['image', 'inspect', missingImage])).exitCode, 'and nothing was pulled').not.toBe(0);
  });
});
