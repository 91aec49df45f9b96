import { describe, expect, it } from 'vitest';
import { candidateEndpoints, wellKnownSockets, type DiscoveryFacts } from './candidates.js';
import { contextMetaFile, contextTlsDir, type ContextStoreAccess } from './context-store.js';

function store(
  contexts: Record<string, { host: string; tls?: boolean; skipVerify?: boolean }> = {},
  otherFiles: string[] = ['/certs/ca.pem', '/certs/cert.pem', '/certs/key.pem'],
): ContextStoreAccess {
  const files = new Map<string, string>(otherFiles.map((f) => [f, 'x']));
  for (const [name, c] of Object.entries(contexts)) {
    files.set(
      contextMetaFile('/cfg', name),
      JSON.stringify({ Name: name, Endpoints: { docker: { Host: c.host, SkipTLSVerify: Boolean(c.skipVerify) } } }),
    );
    if (c.tls) for (const f of ['ca.pem', 'cert.pem', 'key.pem']) files.set(`${contextTlsDir('/cfg', name)}/${f}`, 'x');
  }
  return { configDir: '/cfg', readText: (f) => files.get(f), exists: (f) => files.has(f), listNames: () => Object.keys(contexts) };
}

const facts = (over: Partial<DiscoveryFacts> = {}): DiscoveryFacts => ({
  env: {},
  home: '/home/u',
  store: store(),
  platform: 'linux',
  ...over,
});
const urls = (f: DiscoveryFacts) => candidateEndpoints(f).endpoints.map((e) => e.url);

describe('candidateEndpoints', () => {
  it('with nothing chosen tries the well-known sockets, Docker first', () => {
    const { endpoints, strategy } = candidateEndpoints(facts({ env: { XDG_RUNTIME_DIR: '/run/user/1000' } }));
    expect(strategy.explicit).toBe(false);
    expect(endpoints.map((e) => e.url)).toEqual([
      'unix:///var/run/docker.sock',
      'unix:///run/user/1000/docker.sock',
      'unix:///home/u/.docker/run/docker.sock',
      'unix:///home/u/.docker/desktop/docker.sock',
      'unix:///home/u/.rd/docker.sock',
      'unix:///home/u/.colima/default/docker.sock',
      'unix:///home/u/.colima/docker.sock',
      'unix:///run/user/1000/podman/podman.sock',
      'unix:///run/podman/podman.sock',
    ]);
  });

  it('leaves out the $XDG_RUNTIME_DIR sockets when it is unset', () => {
    expect(wellKnownSockets({ env: {}, home: '/h', platform: 'linux' }).map((e) => e.url)).not.toContain('unix:///docker.sock');
    expect(wellKnownSockets({ env: {}, home: '/h', platform: 'linux' })).toHaveLength(7);
  });

  // The docker CLI's precedence: --host, --context, DOCKER_HOST, DOCKER_CONTEXT, currentContext.
  const all = facts({
    explicitHost: 'tcp://flag:1',
    env: { DOCKER_HOST: 'tcp://env:1', DOCKER_CONTEXT: 'b' },
    currentContext: { name: 'c', file: '/cfg/config.json' },
    store: store({ a: { host: 'tcp://a:1' }, b: { host: 'tcp://b:1' }, c: { host: 'tcp://c:1' } }),
  });
  it.each([
    ['--host before everything', all, 'tcp://flag:1'],
    ['--context next', { ...all, explicitHost: undefined, explicitContext: 'a' }, 'tcp://a:1'],
    ['then DOCKER_HOST', { ...all, explicitHost: undefined }, 'tcp://env:1'],
    ['then DOCKER_CONTEXT', { ...all, explicitHost: undefined, env: { DOCKER_CONTEXT: 'b' } }, 'tcp://b:1'],
    ["then config.json's currentContext", { ...all, explicitHost: undefined, env: {} }, 'tcp://c:1'],
  ])('precedence: %s', (_which, chosen, url) => {
    expect(urls(chosen)).toEqual([url]);
  });

  it('applies DOCKER_TLS_VERIFY and DOCKER_CERT_PATH to --host as the docker CLI does to -H', () => {
    const [endpoint] = candidateEndpoints(
      facts({ explicitHost: 'tcp://h:2376', env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' } }),
    ).endpoints;
    expect(endpoint?.tls).toEqual({ caFile: '/certs/ca.pem', certFile: '/certs/cert.pem', keyFile: '/certs/key.pem', verify: true });
  });

  it('an explicit choice is the only candidate: no fall-through to other sockets', () => {
    const { endpoints, strategy } = candidateEndpoints(facts({ env: { DOCKER_HOST: 'unix:///nowhere.sock' } }));
    expect(endpoints).toHaveLength(1);
    expect(strategy).toMatchObject({ name: 'DOCKER_HOST', explicit: true });
  });

  it('treats currentContext "default" as no choice, but an explicit "default" as the default socket only', () => {
    expect(candidateEndpoints(facts({ currentContext: { name: 'default', file: 'f' } })).strategy.explicit).toBe(false);
    const chosen = candidateEndpoints(facts({ env: { DOCKER_CONTEXT: 'default' } }));
    expect(chosen.endpoints.map((e) => e.url)).toEqual(['unix:///var/run/docker.sock']);
    expect(chosen.strategy.explicit).toBe(true);
  });

  it('reads DOCKER_TLS_VERIFY and DOCKER_CERT_PATH for a tcp DOCKER_HOST', () => {
    const [endpoint] = candidateEndpoints(
      facts({ env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' } }),
    ).endpoints;
    expect(endpoint?.tls).toEqual({ caFile: '/certs/ca.pem', certFile: '/certs/cert.pem', keyFile: '/certs/key.pem', verify: true });
    const [plain] = candidateEndpoints(facts({ env: { DOCKER_HOST: 'tcp://h:2375' } })).endpoints;
    expect(plain?.tls).toBeUndefined();
    const [defaultDir] = candidateEndpoints(facts({ env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1' } })).endpoints;
    expect(defaultDir?.tls?.caFile).toBe('/cfg/ca.pem');
  });

  it("takes a context's TLS files from the store", () => {
    const [endpoint] = candidateEndpoints(
      facts({ env: { DOCKER_CONTEXT: 'remote' }, store: store({ remote: { host: 'tcp://r:2376', tls: true } }) }),
    ).endpoints;
    expect(endpoint?.tls).toMatchObject({ verify: true, caFile: `${contextTlsDir('/cfg', 'remote')}/ca.pem` });
    expect(endpoint?.source).toBe('docker context "remote" (DOCKER_CONTEXT)');
  });

  it('rejects a context that does not exist, listing the ones that do (exit 2)', () => {
    expect(() => candidateEndpoints(facts({ env: { DOCKER_CONTEXT: 'nope' }, store: store({ ci: { host: 'tcp://x:1' } }) }))).toThrow(
      expect.objectContaining({
        message: expect.stringContaining('docker context "nope" (from DOCKER_CONTEXT) does not exist'),
        exitCode: 2,
        remedy: expect.stringContaining('default, ci'),
      }),
    );
  });

  it('refuses engine.host together with engine.context, like docker --host with --context', () => {
    expect(() => candidateEndpoints(facts({ explicitHost: 'tcp://a:1', explicitContext: 'b' }))).toThrow(/both set/);
  });
});
