/**
 * The engine client connects where werf-run's endpoint says, and nowhere
 * else: docker-modem's own reading of DOCKER_HOST, DOCKER_TLS_VERIFY,
 * DOCKER_CERT_PATH, DOCKER_PATH_PREFIX and DOCKER_CLIENT_TIMEOUT from
 * process.env must change nothing. Checked on the wire: small HTTP servers on
 * a unix socket and on 127.0.0.1 answer as an engine's /_ping does and record
 * every request they get, so the test sees which one the client really dialled.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Modem from 'docker-modem';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DockerodeEngine, MODEM_FIELDS, modemFields } from './dockerode.js';

interface Recorder {
  server: http.Server;
  paths: string[];
}

function recorder(): Recorder {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    if (req.url?.endsWith('/_ping')) res.end('OK');
    else res.end('{}');
  });
  return { server, paths };
}

const listen = (r: Recorder, where: string | number): Promise<void> =>
  new Promise((resolve) => (typeof where === 'string' ? r.server.listen(where, resolve) : r.server.listen(where, '127.0.0.1', resolve)));
const portOf = (r: Recorder): number => (r.server.address() as AddressInfo).port;

describe("the engine client is fenced from docker-modem's environment defaults", () => {
  let dir: string;
  const socketEngine = recorder();
  const tcpEngine = recorder();
  const envEngine = recorder();

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wr-modem-'));
    await Promise.all([listen(socketEngine, path.join(dir, 'engine.sock')), listen(tcpEngine, 0), listen(envEngine, 0)]);
  });
  afterAll(async () => {
    await Promise.all([socketEngine, tcpEngine, envEngine].map((r) => new Promise((resolve) => r.server.close(resolve))));
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    for (const r of [socketEngine, tcpEngine, envEngine]) r.paths.length = 0;
  });

  /** What docker-modem would take from the environment if it were asked: another engine, TLS files that do not exist. */
  const hostileEnv = (host: string) => {
    vi.stubEnv('DOCKER_HOST', host);
    vi.stubEnv('DOCKER_TLS_VERIFY', '1');
    vi.stubEnv('DOCKER_CERT_PATH', path.join(dir, 'no-such-certs'));
    vi.stubEnv('DOCKER_PATH_PREFIX', '/from-env');
    vi.stubEnv('DOCKER_CLIENT_TIMEOUT', '1');
  };

  it("the list of fields werf-run sets is exactly the list docker-modem's constructor sets", () => {
    for (const name of ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_PATH_PREFIX', 'DOCKER_CLIENT_TIMEOUT'])
      vi.stubEnv(name, undefined);
    // socketPath is set only when there is no host: ask once with each.
    const own = new Set([...Object.keys(new Modem({ socketPath: '/x' })), ...Object.keys(new Modem({ host: 'h', port: 1 }))]);
    expect([...own].sort()).toEqual([...MODEM_FIELDS].sort());
  });

  it('a unix socket endpoint is dialled even with DOCKER_HOST=tcp://<another engine> and TLS variables set', async () => {
    hostileEnv(`tcp://127.0.0.1:${portOf(envEngine)}`);
    const engine = new DockerodeEngine({ url: `unix://${path.join(dir, 'engine.sock')}`, source: 'test' });
    await engine.ping(2000);
    expect(socketEngine.paths).toContain('/_ping');
    expect(envEngine.paths).toEqual([]);
  });

  it("a tcp endpoint is dialled at its own host, port and base path, not DOCKER_HOST's or DOCKER_PATH_PREFIX's", async () => {
    hostileEnv(`unix://${path.join(dir, 'engine.sock')}`);
    const engine = new DockerodeEngine({ url: `tcp://127.0.0.1:${portOf(tcpEngine)}/base`, source: 'test' });
    await engine.ping(2000);
    expect(tcpEngine.paths).toContain('/base/_ping');
    expect(socketEngine.paths).toEqual([]);
  });

  it("DOCKER_HOST=ssh://... in the environment does not turn a socket endpoint into docker-modem's ssh", async () => {
    vi.stubEnv('DOCKER_HOST', 'ssh://nobody@127.0.0.1:1');
    const engine = new DockerodeEngine({ url: `unix://${path.join(dir, 'engine.sock')}`, source: 'test' });
    await engine.ping(2000);
    expect(socketEngine.paths).toContain('/_ping');
  });

  it('the fields name the endpoint only: a named pipe as text, a relative unix socket kept relative, no TLS files read without TLS', () => {
    hostileEnv('tcp://127.0.0.1:1');
    expect(modemFields({ url: 'npipe:////./pipe/docker_engine', source: 't' })).toMatchObject({
      socketPath: '//./pipe/docker_engine',
      host: undefined,
      protocol: 'http',
    });
    expect(modemFields({ url: 'unix://./docker.sock', source: 't' })).toMatchObject({ socketPath: './docker.sock', host: undefined });
    expect(modemFields({ url: 'tcp://h:2375', source: 't' })).toMatchObject({
      host: 'h',
      port: '2375',
      protocol: 'http',
      ca: undefined,
      cert: undefined,
      key: undefined,
      pathPrefix: undefined,
      timeout: undefined,
    });
  });
});
