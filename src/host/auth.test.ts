import { describe, expect, it } from 'vitest';
import { parseDockerConfig } from '../engine/docker-config.js';
import { lookupAuth, resolveAuth, type HelperRunner } from './auth.js';
import { normalizeRegistry, registryHost } from '../plan/reference.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const cfg = (o: unknown) => parseDockerConfig(JSON.stringify(o), 'config.json');

describe('registryHost', () => {
  // The registry of a reference, the way the docker CLI finds it.
  it.each([
    ['ghcr.io/werf/werf:2-stable', 'ghcr.io'],
    ['127.0.0.1:5001/werf/werf:2-stable', '127.0.0.1:5001'],
    ['localhost/werf@sha256:' + 'a'.repeat(64), 'localhost'],
    ['werf/werf:2', 'docker.io'],
    ['busybox', 'docker.io'],
    ['index.docker.io/werf/werf', 'docker.io'],
  ])('the registry of %s is %s', (reference, host) => {
    expect(registryHost(reference)).toBe(host);
  });
  // Every Docker Hub alias and URL form of a config key is one host.
  it.each([
    ['https://index.docker.io/v1/', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['https://registry-1.docker.io/v2/', 'docker.io'],
    ['http://127.0.0.1:5001/v2/', '127.0.0.1:5001'],
    ['GHCR.io', 'ghcr.io'],
  ])('the config key %s is the registry %s', (key, host) => {
    expect(normalizeRegistry(key)).toBe(host);
  });
});

describe('lookupAuth', () => {
  it('decodes base64 auth from auths, keyed by host or URL', () => {
    expect(lookupAuth(cfg({ auths: { 'https://127.0.0.1:5001': { auth: b64('u:p:w') } } }), '127.0.0.1:5001', 'f')).toEqual({
      kind: 'inline',
      auth: { username: 'u', password: 'p:w', serveraddress: '127.0.0.1:5001' },
      source: 'auths["https://127.0.0.1:5001"] in f',
    });
  });
  it('uses an identity token, and the Hub server address for Docker Hub', () => {
    const found = lookupAuth(cfg({ auths: { 'https://index.docker.io/v1/': { identitytoken: 'tok' } } }), 'docker.io', 'f');
    expect(found).toMatchObject({ kind: 'inline', auth: { identitytoken: 'tok', serveraddress: 'https://index.docker.io/v1/' } });
  });
  it('prefers credHelpers for the registry, then credsStore, over auths', () => {
    const config = cfg({ auths: { 'r.io': { auth: b64('a:b') } }, credHelpers: { 'r.io': 'ecr' }, credsStore: 'desktop' });
    expect(lookupAuth(config, 'r.io', 'f')).toMatchObject({ kind: 'helper', helper: 'ecr', source: 'credHelpers["r.io"] in f' });
    expect(lookupAuth(config, 'other.io', 'f')).toMatchObject({ kind: 'helper', helper: 'desktop', source: 'credsStore in f' });
  });
  it('finds nothing for a registry the config does not name, and for empty Docker Desktop entries', () => {
    expect(lookupAuth(cfg({ auths: { 'r.io': {} } }), 'r.io', 'f')).toBeUndefined();
    expect(lookupAuth(cfg({}), 'r.io', 'f')).toBeUndefined();
  });
  it('rejects an auth value that is not user:password', () => {
    expect(() => lookupAuth(cfg({ auths: { 'r.io': { auth: b64('nocolon') } } }), 'r.io', 'f')).toThrow(/not base64 of "user:password"/);
  });
});

describe('resolveAuth', () => {
  const helper: HelperRunner = async (name, address) => (name === 'good' ? { username: 'hu', secret: `s-${address}` } : 'not-found');

  it('asks DOCKER_AUTH_CONFIG first, then the config file', async () => {
    const env = { config: cfg({ auths: { 'r.io': { auth: b64('env:1') } } }), where: 'DOCKER_AUTH_CONFIG' };
    const file = { config: cfg({ auths: { 'r.io': { auth: b64('file:2') }, 'q.io': { auth: b64('file:3') } } }), where: '/c.json' };
    expect(await resolveAuth('r.io/werf:2', [env, file], helper)).toMatchObject({
      auth: { username: 'env' },
      source: expect.stringContaining('DOCKER_AUTH_CONFIG'),
    });
    expect(await resolveAuth('q.io/werf:2', [env, file], helper)).toMatchObject({ auth: { username: 'file', password: '3' } });
  });
  it("runs the helper with the registry's server address and maps <token> to an identity token", async () => {
    const config = cfg({ credsStore: 'good' });
    expect(await resolveAuth('r.io/werf', [{ config, where: 'f' }], helper)).toEqual({
      auth: { username: 'hu', password: 's-r.io', serveraddress: 'r.io' },
      source: 'docker-credential-good (credsStore in f)',
    });
    const token: HelperRunner = async () => ({ username: '<token>', secret: 'idt' });
    expect((await resolveAuth('werf/werf', [{ config, where: 'f' }], token)).auth).toEqual({
      identitytoken: 'idt',
      serveraddress: 'https://index.docker.io/v1/',
    });
  });
  it('falls back to auths when the helper has no credentials, and pulls anonymously when nothing has any', async () => {
    const config = cfg({ credsStore: 'empty', auths: { 'r.io': { auth: b64('a:b') } } });
    expect((await resolveAuth('r.io/w', [{ config, where: 'f' }], helper)).auth).toMatchObject({ username: 'a' });
    expect(await resolveAuth('s.io/w', [{ config, where: 'f' }], helper)).toMatchObject({
      auth: undefined,
      source: expect.stringContaining('anonymously'),
    });
  });
  it('lets a failing helper fail the lookup', async () => {
    const broken: HelperRunner = async (name) => {
      throw new Error(`docker-credential-${name} exploded`);
    };
    await expect(resolveAuth('r.io/w', [{ config: cfg({ credsStore: 'x' }), where: 'f' }], broken)).rejects.toThrow(
      'docker-credential-x exploded',
    );
  });
});

describe('parseDockerConfig', () => {
  it('never quotes the text of a broken config (it may hold credentials)', () => {
    let message = '';
    try {
      parseDockerConfig('{"auths":{"r.io":{"auth":"c2VjcmV0"}},', 'DOCKER_AUTH_CONFIG');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^DOCKER_AUTH_CONFIG is not valid JSON/);
    expect(message).not.toContain('c2VjcmV0');
  });
});
