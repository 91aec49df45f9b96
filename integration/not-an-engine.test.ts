/**
 * Issue 12 item 12 for real: endpoints that answer HTTP but are no Docker
 * Engine (a web page, a 404, a JSON API on 127.0.0.1), and one where nothing
 * listens. Each ends in one named error with its reason (exit 125), never an
 * internal error, and leaves nothing behind.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './engines.js';
import { makeProject, runWerfRun } from './support.js';

const ANSWERS: Record<string, { status: number; type: string; body: string }> = {
  '/html': { status: 200, type: 'text/html', body: '<html><body>a web page</body></html>' },
  '/json': { status: 200, type: 'application/json', body: '{}' },
  '/404': { status: 404, type: 'text/plain', body: '' },
};

describe('an endpoint that is not a Docker Engine', () => {
  let server: http.Server;
  let current = ANSWERS['/html']!;
  let port: number;
  const project = makeProject({ 'README.md': 'x\n' });
  beforeAll(async () => {
    // Every path gets the answer the running test chose (`current`).
    server = http.createServer((_req, res) => {
      res.writeHead(current.status, { 'content-type': current.type });
      res.end(current.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await project.cleanup();
  });

  for (const [kind, expected] of [
    ['/html', 'GET /_ping got "<html><body>a web page</body></html>"'],
    ['/json', 'GET /_ping got "{}"'],
    ['/404', 'GET /_ping got "HTTP 404"'],
  ] as const) {
    it(`a server answering ${kind.slice(1)}: a named error with the reason, exit 125`, async () => {
      current = ANSWERS[kind]!;
      const result = await runWerfRun(['version'], { cwd: project.dir, env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` } });
      expect(result.exitCode, result.stderr).toBe(125);
      expect(result.stderr).not.toContain('internal error');
      expect(result.stderr).toContain(
        `tcp://127.0.0.1:${port} (from DOCKER_HOST): it answers HTTP, but not as a Docker Engine API: ${expected}`,
      );
      expect(result.stderr).toContain('fix: check that the endpoint is a Docker Engine API');
    });
  }

  it('an address where nothing listens: the reason is never empty', async () => {
    const free = await freePort();
    for (const host of ['127.0.0.1', 'localhost']) {
      const result = await runWerfRun(['version'], { cwd: project.dir, env: { DOCKER_HOST: `tcp://${host}:${free}` } });
      expect(result.exitCode, result.stderr).toBe(125);
      const line = result.stderr.split('\n').find((l) => l.startsWith(`  - tcp://${host}:${free} (from DOCKER_HOST):`));
      expect(line, result.stderr).toMatch(/\(from DOCKER_HOST\): \S/);
      expect(line).toContain('connection refused');
    }
  });
});
