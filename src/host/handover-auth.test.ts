/**
 * Registry credentials resolved on this host, with real credential helper
 * processes: `docker-credential-*` scripts on a temporary PATH, no Docker.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDockerConfig } from '../engine/docker-config.js';
import { listCredentialHelper, runCredentialHelper } from './cred-helper.js';
import { authsConfigJson, registriesInRun, resolveHandover, type AuthSource } from './handover-auth.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const source = (o: unknown, where = '/h/.docker/config.json'): AuthSource => ({
  config: parseDockerConfig(JSON.stringify(o), where),
  where,
});

let bin: string;
let savedPath: string | undefined;
beforeAll(() => {
  bin = mkdtempSync(path.join(os.tmpdir(), 'wr-helpers-'));
  savedPath = process.env.PATH;
  process.env.PATH = `${bin}${path.delimiter}${savedPath ?? ''}`;
  // A store that knows two registries, answers list, and says "not found" for the rest.
  helper(
    'wrstore',
    `case "$1" in
  list) echo '{"https://store.example:5000":"alice","ghcr.io":"bob"}' ;;
  get) read -r s; case "$s" in
    store.example:5000) echo '{"ServerURL":"store.example:5000","Username":"alice","Secret":"store-secret"}' ;;
    ghcr.io) echo '{"ServerURL":"ghcr.io","Username":"<token>","Secret":"gh-token"}' ;;
    *) echo "credentials not found in native keychain"; exit 1 ;;
  esac ;;
esac`,
  );
  helper('wrlocked', 'echo "error: the keychain is locked" >&2; exit 3');
  helper(
    'wrnolist',
    `case "$1" in list) echo "list is not supported" >&2; exit 1 ;; get) read -r s; echo '{"Username":"u","Secret":"from-nolist"}' ;; esac`,
  );
});
afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(bin, { recursive: true, force: true });
});

function helper(name: string, script: string): void {
  const file = path.join(bin, `docker-credential-${name}`);
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
}

const resolve = (sources: AuthSource[], wanted = registriesInRun([], {}, '127.0.0.1:5000/werf/werf:2')) =>
  resolveHandover({ sources, wanted, runHelper: runCredentialHelper, listHelper: listCredentialHelper });

describe('registriesInRun', () => {
  it('finds the werf image, --repo forms and the repo variables', () => {
    const wanted = registriesInRun(
      ['build', '--repo', '127.0.0.1:5001/app', '--final-repo=final.io/app/x', '--cache-repo', 'cache.io/c', '--', '--repo', 'not.io/x'],
      { WERF_REPO: 'ghcr.io/o/p', WERF_SECONDARY_REPO_A: 'sec.io/a', WERF_REPO_CONTAINER_REGISTRY: 'gitlab', PATH: '/bin' },
      'ghcr.io/werf/werf:2-stable',
    );
    expect(wanted.map((w) => w.host)).toEqual(['ghcr.io', '127.0.0.1:5001', 'final.io', 'cache.io', 'ghcr.io', 'sec.io']);
    expect(wanted[1]!.why).toBe('--repo 127.0.0.1:5001/app');
  });
  it('reads a bare repository name as Docker Hub, like werf', () => {
    expect(registriesInRun(['build', '--repo', 'app'], {}, 'werf/werf')).toEqual([
      { host: 'docker.io', why: 'the werf image werf/werf' },
      { host: 'docker.io', why: '--repo app' },
    ]);
  });
});

// The helpers are shebang scripts (docker-credential-* on PATH); Windows runs .exe helpers, not these.
describe.skipIf(process.platform === 'win32')('resolveHandover with real helper processes', () => {
  it('asks the credsStore for every registry it lists and writes plain auths', async () => {
    const result = await resolve([source({ credsStore: 'wrstore' })]);
    expect(result.auths).toEqual({
      'ghcr.io': { identitytoken: 'gh-token' },
      'store.example:5000': { auth: b64('alice:store-secret') },
    });
    expect(result.notes).toContain(
      'registry auth for 127.0.0.1:5000 (the werf image 127.0.0.1:5000/werf/werf:2): skipped, docker-credential-wrstore (credsStore in /h/.docker/config.json) has none',
    );
    expect(result.notes).toContain(
      'registry auth for store.example:5000 (docker-credential-wrstore list): from docker-credential-wrstore (credsStore in /h/.docker/config.json)',
    );
    expect(result.notes.join('\n')).not.toMatch(/store-secret|gh-token/);
  });

  it('prefers credHelpers for its registry, keeps inline auths, and keys Docker Hub as the CLI does', async () => {
    const result = await resolve([
      source({
        auths: { 'https://index.docker.io/v1/': { auth: b64('hub:pw') }, 'empty.io': {} },
        credHelpers: { 'store.example:5000': 'wrnolist' },
      }),
    ]);
    expect(result.auths).toEqual({
      'https://index.docker.io/v1/': { auth: b64('hub:pw') },
      'store.example:5000': { auth: b64('u:from-nolist') },
    });
    expect(result.notes).toContain('registry auth for empty.io (auths in /h/.docker/config.json): none on this host, anonymous');
  });

  it('takes an earlier source (DOCKER_AUTH_CONFIG) before the file', async () => {
    const result = await resolve([
      source({ auths: { 'r.io': { auth: b64('env:1') } } }, 'DOCKER_AUTH_CONFIG'),
      source({ auths: { 'r.io': { auth: b64('file:2') } } }),
    ]);
    expect(result.auths['r.io']).toEqual({ auth: b64('env:1') });
  });

  it('names a failing helper with its error and the registry', async () => {
    await expect(resolve([source({ credHelpers: { 'r.io': 'wrlocked' } })])).rejects.toThrow(
      'the credential helper docker-credential-wrlocked (named by credHelpers["r.io"] in /h/.docker/config.json) exited with 3 for r.io: error: the keychain is locked',
    );
  });

  it('names a helper that is not installed', async () => {
    await expect(resolve([source({ credHelpers: { 'r.io': 'wr-absent' } })])).rejects.toThrow(
      'docker-credential-wr-absent (named by credHelpers["r.io"] in /h/.docker/config.json) is not on PATH',
    );
  });

  it('a store whose list fails is still asked for the registries the run names', async () => {
    const result = await resolve([source({ credsStore: 'wrnolist' })]);
    expect(result.auths).toEqual({ '127.0.0.1:5000': { auth: b64('u:from-nolist') } });
    expect(result.notes[0]).toMatch(/^docker-credential-wrnolist list failed \(.*exited with 1 for list: list is not supported\)/);
  });
});

describe('authsConfigJson', () => {
  it('holds only auths, so werf runs no helper', () => {
    const json = JSON.parse(authsConfigJson({ 'r.io': { auth: 'eA==' } }).toString()) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['auths']);
  });
});
