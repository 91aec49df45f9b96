import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { authSources, type DockerSetup } from './docker-setup.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-auth-sources-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const setup: DockerSetup = {
  configDir: '/home/u/.docker',
  configFile: '/home/u/.docker/config.json',
  config: { auths: { 'cli.example': {} }, credHelpers: {} },
  home: '/home/u',
};

describe('authSources: where registry credentials come from, in order', () => {
  it('DOCKER_AUTH_CONFIG first, then the docker CLI config.json; the engine ignores WERF_DOCKER_CONFIG, werf reads it first', () => {
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ auths: { 'werf.example': {} } }));
    const env = { DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { 'gitlab.example': {} } }), WERF_DOCKER_CONFIG: dir };
    expect(authSources(setup, env, 'engine').map((s) => [s.where, Object.keys(s.config.auths)])).toEqual([
      ['DOCKER_AUTH_CONFIG', ['gitlab.example']],
      ['/home/u/.docker/config.json', ['cli.example']],
    ]);
    expect(authSources(setup, env, 'werf').map((s) => [s.where, Object.keys(s.config.auths)])).toEqual([
      ['DOCKER_AUTH_CONFIG', ['gitlab.example']],
      [path.join(dir, 'config.json'), ['werf.example']],
    ]);
    expect(authSources(setup, {}, 'werf').map((s) => s.where)).toEqual(['/home/u/.docker/config.json']);
  });
  it("werf's --docker-config directory comes before WERF_DOCKER_CONFIG and DOCKER_CONFIG, for werf only; a missing config.json is empty", () => {
    const files: Record<string, string> = { '/flag/config.json': JSON.stringify({ auths: { 'flag.example': {} }, credsStore: 'pass' }) };
    const read = (file: string) => files[file];
    const env = { WERF_DOCKER_CONFIG: '/werf-var', DOCKER_CONFIG: '/docker-var' };
    const werf = authSources(setup, env, 'werf', '/flag', read);
    expect(werf.map((s) => [s.where, Object.keys(s.config.auths), s.config.credsStore])).toEqual([
      ['/flag/config.json', ['flag.example'], 'pass'],
    ]);
    expect(authSources(setup, env, 'werf', '/nothing', read).map((s) => [s.where, Object.keys(s.config.auths)])).toEqual([
      ['/nothing/config.json', []],
    ]);
    expect(authSources(setup, env, 'engine', '/flag', read).map((s) => s.where)).toEqual(['/home/u/.docker/config.json']);
  });
});
