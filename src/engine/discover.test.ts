import { describe, expect, it } from 'vitest';
import { connect, explainFailure, failureRemedy } from './discover.js';
import type { DiscoveryFacts } from './candidates.js';
import { fakeEngine } from '../../test/fakes.js';
import type { Endpoint, Engine } from './port.js';
import { classifySshFailure } from './ssh-endpoint.js';

const errno = (code: string) => Object.assign(new Error(`connect ${code} /x.sock`), { code });
const store = { configDir: '/cfg', readText: () => undefined, exists: () => false, listNames: () => [] };
const facts = (over: Partial<DiscoveryFacts> = {}): DiscoveryFacts => ({ env: {}, home: '/home/u', store, platform: 'linux', ...over });

/** An engine whose ping fails as `failures` says (by URL), or answers. */
function opener(failures: Record<string, Error>, opened: string[]) {
  return (endpoint: Endpoint): Engine =>
    fakeEngine({
      endpoint,
      ping: async () => {
        opened.push(endpoint.url);
        const failure = failures[endpoint.url];
        if (failure) throw failure;
      },
    });
}

describe('explainFailure', () => {
  it('names the usual socket failures and finds codes in the cause chain', () => {
    expect(explainFailure(errno('ENOENT'), 1000).kind).toBe('missing');
    expect(explainFailure(errno('ECONNREFUSED'), 1000).reason).toMatch(/connection refused/);
    expect(explainFailure(new Error('wrapped', { cause: errno('EACCES') }), 1000)).toMatchObject({ kind: 'denied' });
    expect(explainFailure(new Error('no answer within 500 ms'), 500)).toMatchObject({ kind: 'timeout' });
  });

  it('never gives an empty reason (an error without a message, with or without a code)', () => {
    expect(explainFailure(new AggregateError([], ''), 1000).reason).toBe('the connection failed without a reason (AggregateError)');
    expect(explainFailure(Object.assign(new Error(''), { code: 'EHOSTUNREACH' }), 1000).reason).toBe(
      'the connection failed (EHOSTUNREACH)',
    );
    expect(explainFailure('', 1000).reason).not.toBe('');
  });

  it('an ssh failure anywhere in the cause chain keeps its own message and fix', () => {
    const ssh = classifySshFailure({ host: 'h', username: 'u' }, 255, 'Host key verification failed.\n', { agentSocket: undefined });
    expect(explainFailure(new Error('wrapped', { cause: ssh }), 1000)).toEqual({ kind: 'ssh', reason: ssh.message, remedy: ssh.remedy });
  });
});

describe('connect', () => {
  it('takes the first well-known socket that answers', async () => {
    const opened: string[] = [];
    const engine = await connect({ facts: facts(), timeoutMs: 100 }, opener({ 'unix:///var/run/docker.sock': errno('ENOENT') }, opened));
    expect(engine.endpoint.url).toBe('unix:///home/u/.docker/run/docker.sock');
    expect(opened).toEqual(['unix:///var/run/docker.sock', 'unix:///home/u/.docker/run/docker.sock']);
  });

  it('when none answers, lists every candidate, its source and its reason, with the fixes', async () => {
    const failing = new Proxy({}, { get: (_t, url) => (String(url).includes('podman') ? errno('EACCES') : errno('ENOENT')) });
    const error = await connect({ facts: facts(), timeoutMs: 100 }, opener(failing as Record<string, Error>, [])).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: 125 });
    const { message, remedy } = error as { message: string; remedy: string };
    expect(message).toContain('unix:///var/run/docker.sock (from well-known socket: the default Docker socket): no such socket (ENOENT)');
    expect(message).toContain('unix:///run/podman/podman.sock (from well-known socket: rootful Podman): permission denied (EACCES)');
    expect(message.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(7);
    expect(remedy).toContain('join the docker group');
    expect(remedy).toContain('start the Docker daemon');
  });

  it('an endpoint that cannot even be opened (unreadable TLS file) is reported as such, not as a missing socket', async () => {
    const error = (await connect({ facts: facts({ env: { DOCKER_HOST: 'tcp://h:2376' } }), timeoutMs: 100 }, () => {
      throw Object.assign(new Error('cannot read the TLS file /c/ca.pem: ENOENT'), { cause: errno('ENOENT') });
    }).catch((e: unknown) => e)) as { message: string; remedy: string };
    expect(error.message).toContain('tcp://h:2376 (from DOCKER_HOST): cannot read the TLS file /c/ca.pem');
    expect(error.message).not.toContain('no such socket');
    expect(error.remedy).toContain('TLS files');
  });

  it('an explicit DOCKER_HOST that fails is an error that says no other engine was tried', async () => {
    const opened: string[] = [];
    const error = (await connect(
      { facts: facts({ env: { DOCKER_HOST: 'tcp://127.0.0.1:1' } }), timeoutMs: 100 },
      opener({ 'tcp://127.0.0.1:1': errno('ECONNREFUSED') }, opened),
    ).catch((e: unknown) => e)) as { message: string; remedy: string };
    expect(opened).toEqual(['tcp://127.0.0.1:1']);
    expect(error.message).toContain('DOCKER_HOST is an explicit choice, so werf-run (like the docker CLI) tries no other engine');
    expect(error.remedy).toContain('unset DOCKER_HOST');
  });

  it("an ssh endpoint's failure gives its own fix, not a generic one", async () => {
    const ssh = classifySshFailure(
      { host: 'h', username: 'u' },
      255,
      'Host key for h has changed and you have requested strict checking.\nHost key verification failed.\n',
      { agentSocket: undefined },
    );
    const error = (await connect(
      { facts: facts({ env: { DOCKER_HOST: 'ssh://u@h' } }), timeoutMs: 100 },
      opener({ 'ssh://u@h': ssh }, []),
    ).catch((e: unknown) => e)) as { message: string; remedy: string };
    expect(error.message).toContain(`ssh://u@h (from DOCKER_HOST): ${ssh.message}`);
    expect(error.remedy).toBe(`${ssh.remedy}; or unset DOCKER_HOST to use the default socket`);
  });
});

describe('failureRemedy', () => {
  it('speaks of a socket file left over from a stopped daemon only for a unix socket', () => {
    const refused = (url: string) => failureRemedy({ endpoint: { url, source: 'DOCKER_HOST' }, kind: 'refused' });
    expect(refused('unix:///var/run/docker.sock')).toContain('a unix socket file without a daemon is left over');
    expect(refused('tcp://127.0.0.1:1')).not.toContain('socket');
    expect(refused('tcp://127.0.0.1:1')).toBe("start the daemon that should listen there, or check the endpoint's host and port");
  });
});

describe('an engine chosen by a flag or variable is named by it, not by the config key it feeds', () => {
  it('--host, WERF_RUN_DOCKER_HOST and the config file each name themselves', async () => {
    const refused = { 'tcp://h:1': errno('ECONNREFUSED') };
    const fail = (over: Partial<DiscoveryFacts>) =>
      connect({ facts: facts({ explicitHost: 'tcp://h:1', ...over }), timeoutMs: 100 }, opener(refused, [])).then(
        () => expect.unreachable(),
        (e: { message: string; remedy: string }) => e,
      );
    const flag = await fail({ explicitFrom: { host: '--host' } });
    expect(flag.message).toMatch(
      /^no Docker Engine answered at the endpoint chosen by --host:\n {2}- tcp:\/\/h:1 \(from --host\): connection refused/,
    );
    expect(flag.remedy).toMatch(/; or change or remove --host$/);
    expect(flag.message).not.toContain('engine.host');
    expect((await fail({ explicitFrom: { host: 'WERF_RUN_DOCKER_HOST' } })).message).toContain(
      'chosen by WERF_RUN_DOCKER_HOST (engine.host):',
    );
    expect((await fail({})).remedy).toMatch(/or change or remove engine\.host \(werf-run config\)$/);
  });
});
