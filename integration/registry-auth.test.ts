/**
 * Pulling the werf image from the rig's registry with htpasswd auth
 * (127.0.0.1:5001), with credentials from the places the docker CLI uses.
 * Pulls go to a second dockerd of this test's own, so the rig's engine keeps
 * its images; `--pull always` makes every run ask the registry.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startSecondDockerd, type StartedEngine } from './engines.js';
import { rig, runWerfRun, werfProject, type CliResult } from './support.js';

const REGISTRY = rig.WERF_RUN_RIG_AUTH_REGISTRY!;
const IMAGE = rig.WERF_RUN_RIG_AUTH_IMAGE!;
const USER = rig.WERF_RUN_RIG_AUTH_USER!;
const PASSWORD = rig.WERF_RUN_RIG_AUTH_PASSWORD!;
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('pulling the werf image with registry credentials', () => {
  let second: StartedEngine;
  let project: ReturnType<typeof werfProject>;
  let dir: string;
  let bin: string;

  beforeAll(async () => {
    second = await startSecondDockerd();
    project = werfProject({ app: 'FROM 127.0.0.1:5000/library/busybox:latest\n' });
    dir = mkdtempSync(path.join(os.tmpdir(), 'wr-auth-'));
    bin = path.join(dir, 'bin');
    mkdirSync(bin);
  });
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    const results = await Promise.allSettled([second?.stop(), project?.cleanup()]);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  });

  /** A DOCKER_CONFIG dir holding `config`. */
  function dockerConfig(name: string, config: unknown): string {
    const configDir = path.join(dir, name);
    mkdirSync(configDir, { recursive: true });
    writeFileSync(path.join(configDir, 'config.json'), JSON.stringify(config));
    return configDir;
  }

  function helper(name: string, script: string): void {
    const file = path.join(bin, `docker-credential-${name}`);
    writeFileSync(file, `#!/bin/sh\n${script}\n`);
    chmodSync(file, 0o755);
  }

  const pull = (env: Record<string, string | undefined>, image = IMAGE): Promise<CliResult> =>
    runWerfRun(['--verbose', '--image', image, '--pull', 'always', 'version'], {
      cwd: project.dir,
      env: {
        DOCKER_HOST: second.socketUrl,
        DOCKER_CONTEXT: undefined,
        DOCKER_AUTH_CONFIG: undefined,
        PATH: `${bin}:${process.env.PATH}`,
        ...env,
      },
    });

  function expectNoSecrets(result: CliResult): void {
    const all = result.stdout + result.stderr;
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain(b64(`${USER}:${PASSWORD}`));
  }

  it('without credentials the registry refuses, and the message says how to log in (exit 125)', async () => {
    const result = await pull({ DOCKER_CONFIG: dockerConfig('none', {}) });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain('no basic auth credentials');
    expect(result.stderr).toContain(`fix: log in to ${REGISTRY} (docker login ${REGISTRY}`);
  });

  it('uses base64 credentials from auths in $DOCKER_CONFIG/config.json', async () => {
    const configDir = dockerConfig('auths', { auths: { [`http://${REGISTRY}`]: { auth: b64(`${USER}:${PASSWORD}`) } } });
    const result = await pull({ DOCKER_CONFIG: configDir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`registry auth for ${REGISTRY}: from auths["http://${REGISTRY}"] in ${configDir}/config.json`);
    expect(result.stderr).toContain(`pulled ${IMAGE}`);
    expect(result.stdout).toContain('test-rig stand-in for werf');
    expectNoSecrets(result);
  });

  it('runs the credential helper named in credHelpers, with the server address on stdin', async () => {
    const log = path.join(dir, 'helper.log');
    helper(
      'wrtest',
      [
        'read -r server',
        `echo "$1 $server" >> ${log}`,
        `if [ "$server" = "${REGISTRY}" ]; then printf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}\\n' "$server"; exit 0; fi`,
        'echo "credentials not found in native keychain"; exit 1',
      ].join('\n'),
    );
    const configDir = dockerConfig('helpers', { credHelpers: { [REGISTRY]: 'wrtest' } });
    const result = await pull({ DOCKER_CONFIG: configDir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe(`get ${REGISTRY}\n`);
    expect(result.stderr).toContain(`from docker-credential-wrtest (credHelpers["${REGISTRY}"] in ${configDir}/config.json)`);
    expectNoSecrets(result);

    const store = await pull({ DOCKER_CONFIG: dockerConfig('store', { credsStore: 'wrtest' }) });
    expect(store.exitCode, store.stderr).toBe(0);
    expect(store.stderr).toContain('from docker-credential-wrtest (credsStore in');
  });

  it('reports a failing credential helper by name with its stderr, instead of pulling without it', async () => {
    helper('wrbroken', 'echo "error: the keychain is locked" >&2; exit 3');
    const result = await pull({ DOCKER_CONFIG: dockerConfig('broken', { credsStore: 'wrbroken' }) });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(`the credential helper docker-credential-wrbroken (named by credsStore in`);
    expect(result.stderr).toContain(`exited with 3 for ${REGISTRY}: error: the keychain is locked`);
    expect(result.stderr).not.toContain('pulling ');
  });

  it('names a credential helper that is not installed (exit 125)', async () => {
    const configDir = dockerConfig('absent', { credHelpers: { [REGISTRY]: 'wr-not-installed' } });
    const result = await pull({ DOCKER_CONFIG: configDir });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(
      `the credential helper docker-credential-wr-not-installed (named by credHelpers["${REGISTRY}"] in ${configDir}/config.json) is not on PATH`,
    );
  });

  it('takes DOCKER_AUTH_CONFIG (GitLab) before the config file', async () => {
    const wrongFile = dockerConfig('wrong-for-env', { auths: { [REGISTRY]: { auth: b64(`${USER}:not-the-password`) } } });
    const result = await pull({
      DOCKER_CONFIG: wrongFile,
      DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { [REGISTRY]: { auth: b64(`${USER}:${PASSWORD}`) } } }),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`registry auth for ${REGISTRY}: from auths["${REGISTRY}"] in DOCKER_AUTH_CONFIG`);
    expectNoSecrets(result);
  });

  it("a wrong password fails with the registry's words and where the credentials came from (exit 125)", async () => {
    const configDir = dockerConfig('wrong', { auths: { [REGISTRY]: { auth: b64(`${USER}:wrong-secret-xyz`) } } });
    const result = await pull({ DOCKER_CONFIG: configDir });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain('unauthorized: authentication required');
    expect(result.stderr).toContain(`fix: the registry refused the credentials from auths["${REGISTRY}"] in ${configDir}/config.json`);
    expect(result.stdout + result.stderr).not.toContain('wrong-secret-xyz');
  });

  it('a tag the registry does not have fails with "manifest unknown" and a hint on tags (exit 125)', async () => {
    const configDir = dockerConfig('tag', { auths: { [REGISTRY]: { auth: b64(`${USER}:${PASSWORD}`) } } });
    const missing = `${REGISTRY}/werf/werf:9-no-such-channel`;
    const result = await pull({ DOCKER_CONFIG: configDir }, missing);
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(`manifest for ${missing} not found: manifest unknown`);
    expect(result.stderr).toContain('check the tag');
  });

  it('an error inside the pull stream (a layer missing in the registry) fails the run with that error', async () => {
    // A registry of this test's own, holding busybox with its layer deleted:
    // the manifest is served, so the error comes after "Pulling fs layer", inside the stream.
    const port = await freePort();
    const root = path.join(dir, 'registry');
    mkdirSync(root);
    writeFileSync(
      path.join(root, 'config.yml'),
      `version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: ${root}/data}\nhttp: {addr: "127.0.0.1:${port}"}\n`,
    );
    const registry = spawn('docker-registry', ['serve', path.join(root, 'config.yml')], { stdio: 'ignore' });
    try {
      const broken = `127.0.0.1:${port}/broken/busybox:1`;
      for (
        let i = 0;
        i < 50 &&
        (await fetch(`http://127.0.0.1:${port}/v2/`).then(
          () => false,
          () => true,
        ));
        i++
      )
        await new Promise((r) => setTimeout(r, 100));
      expect((await second.docker(['pull', '-q', rig.WERF_RUN_RIG_BUSYBOX!])).exitCode).toBe(0);
      expect((await second.docker(['tag', rig.WERF_RUN_RIG_BUSYBOX!, broken])).exitCode).toBe(0);
      const pushed = await second.docker(['push', broken]);
      expect(pushed.exitCode, pushed.stderr).toBe(0);
      await second.docker(['rmi', broken, rig.WERF_RUN_RIG_BUSYBOX!]);
      // Delete the layer (the largest blob; the config and manifest are small).
      const blobs = (await execa('sh', ['-c', `ls -S ${root}/data/docker/registry/v2/blobs/sha256/*/*/data`])).stdout.split('\n');
      rmSync(blobs[0]!);

      const result = await pull({ DOCKER_CONFIG: dockerConfig('open', {}) }, broken);
      expect(result.exitCode).toBe(125);
      expect(result.stderr).toContain(`pulling ${broken} failed: unknown blob`);
      expect(result.stderr).toContain('push the image again');
      expect(result.stdout).not.toContain('stand-in');
    } finally {
      registry.kill('SIGTERM');
    }
  });
});
