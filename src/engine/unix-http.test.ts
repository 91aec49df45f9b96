import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChunkedDecoder, parseHead, unixRequest, type UnixResponse } from './unix-http.js';

// The peer is Node's own HTTP server (or a raw socket where the test needs bytes node:http would not send), on a unix socket.
const cleanups: (() => void)[] = [];
const realWrite = net.Socket.prototype.write;
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function socketPath(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-unix-http-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'engine.sock');
}

async function httpServer(handler: http.RequestListener): Promise<string> {
  const file = socketPath();
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(file, resolve));
  cleanups.push(() => server.close());
  return file;
}

async function rawServer(onConnection: (socket: net.Socket) => void): Promise<string> {
  const file = socketPath();
  const server = net.createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(file, resolve));
  cleanups.push(() => server.close());
  return file;
}

function respond(options: Parameters<typeof unixRequest>[0], body?: string | Readable): Promise<{ response: UnixResponse; text: string }> {
  return new Promise((resolve, reject) => {
    const request = unixRequest(options, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      response.on('end', () => resolve({ response, text }));
      response.on('error', reject);
    });
    request.on('error', reject);
    if (body instanceof Readable) body.pipe(request);
    else {
      if (body !== undefined) request.write(body);
      request.end();
    }
  });
}

describe('unixRequest', () => {
  it('sends a GET with a Host header, and reads a Content-Length answer', async () => {
    let seen: http.IncomingHttpHeaders = {};
    const file = await httpServer((req, res) => {
      seen = req.headers;
      res.setHeader('Api-Version', '1.45');
      res.end(JSON.stringify({ path: req.url, method: req.method }));
    });
    const { response, text } = await respond({ socketPath: file, method: 'GET', path: '/v1.45/info?x=1', headers: {} });
    expect(response.statusCode).toBe(200);
    expect(response.headers['api-version']).toBe('1.45');
    expect(JSON.parse(text)).toEqual({ path: '/v1.45/info?x=1', method: 'GET' });
    expect(seen.host).toBe('localhost');
    expect(seen.connection).toBeUndefined();
  });

  it('keeps the connection for the next request (keep-alive), and opens another when the engine closed it or said it would', async () => {
    const connections: net.Socket[] = [];
    const file = socketPath();
    const server = http.createServer((req, res) => {
      if (req.url === '/last') res.setHeader('Connection', 'close');
      res.end(req.url);
    });
    server.on('connection', (socket: net.Socket) => connections.push(socket));
    await new Promise<void>((resolve) => server.listen(file, resolve));
    cleanups.push(() => server.close());
    expect((await respond({ socketPath: file, path: '/one' })).text).toBe('/one');
    expect((await respond({ socketPath: file, path: '/two' })).text).toBe('/two');
    expect(connections).toHaveLength(1);
    // The engine closes the idle connection (a restart): the next request gets a new one, not an error.
    connections[0]!.destroy();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await respond({ socketPath: file, path: '/three' })).text).toBe('/three');
    expect(connections).toHaveLength(2);
    // An answer that says Connection: close is the connection's last.
    expect((await respond({ socketPath: file, path: '/last' })).text).toBe('/last');
    expect((await respond({ socketPath: file, path: '/after' })).text).toBe('/after');
    expect(connections).toHaveLength(3);
  });

  it('reads a chunked answer written in pieces, and a 404 with its body', async () => {
    const file = await httpServer((req, res) => {
      if (req.url === '/missing') {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"No such container: x"}');
        return;
      }
      res.writeHead(200);
      res.write('first ');
      setTimeout(() => res.end('second'), 20);
    });
    expect((await respond({ socketPath: file, path: '/stream' })).text).toBe('first second');
    const missing = await respond({ socketPath: file, path: '/missing' });
    expect(missing.response.statusCode).toBe(404);
    expect(JSON.parse(missing.text)).toEqual({ message: 'No such container: x' });
  });

  it('reads an answer framed by the end of the connection (as the engine answers attach)', async () => {
    const file = await rawServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nhello ');
        setTimeout(() => socket.end('world'), 20);
      });
    });
    const { response, text } = await respond({ socketPath: file, method: 'POST', path: '/containers/x/attach' });
    expect(response.headers['content-type']).toBe('application/vnd.docker.raw-stream');
    expect(text).toBe('hello world');
  });

  it('answers a HEAD with headers and no body', async () => {
    const file = await httpServer((_req, res) => {
      res.setHeader('X-Docker-Container-Path-Stat', Buffer.from('{"size":3}').toString('base64'));
      res.setHeader('Content-Length', '1000');
      res.end();
    });
    const { response, text } = await respond({ socketPath: file, method: 'HEAD', path: '/containers/x/archive?path=%2Fa' });
    expect(response.statusCode).toBe(200);
    expect(Buffer.from(response.headers['x-docker-container-path-stat']!, 'base64').toString()).toBe('{"size":3}');
    expect(text).toBe('');
  });

  it('sends a written body with its Content-Length, a piped one chunked, and an empty POST with Content-Length: 0', async () => {
    const bodies: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const file = await httpServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        bodies.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    const json = JSON.stringify({ Image: 'werf', Cmd: ['build'] });
    const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) };
    expect((await respond({ socketPath: file, method: 'POST', path: '/containers/create', headers }, json)).response.statusCode).toBe(204);
    await respond(
      { socketPath: file, method: 'PUT', path: '/containers/x/archive', headers: {} },
      Readable.from([Buffer.from('tar '), Buffer.from('bytes')]),
    );
    await respond({ socketPath: file, method: 'POST', path: '/containers/x/start', headers: {} });
    expect(bodies[0]).toMatchObject({ body: json, headers: { 'content-length': String(Buffer.byteLength(json)) } });
    expect(bodies[1]).toMatchObject({ body: 'tar bytes', headers: { 'transfer-encoding': 'chunked' } });
    expect(bodies[2]).toMatchObject({ body: '', headers: { 'content-length': '0' } });
  });

  it('hands over the socket on a 101 answer to an Upgrade request, with the bytes that came after the head', async () => {
    const file = await rawServer((socket) => {
      socket.once('data', (head: Buffer) => {
        expect(head.toString()).toContain('Upgrade: tcp');
        socket.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nearly ');
        socket.on('data', (bytes: Buffer) => socket.end(`echo:${bytes.toString()}`));
      });
    });
    const request = unixRequest({
      socketPath: file,
      method: 'POST',
      path: '/attach',
      headers: { Connection: 'Upgrade', Upgrade: 'tcp', 'Transfer-Encoding': 'chunked' },
    });
    const [socket, head] = await new Promise<[net.Socket, Buffer]>((resolve, reject) => {
      request.on('upgrade', (_res: UnixResponse, s: net.Socket, h: Buffer) => resolve([s, h]));
      request.on('error', reject);
    });
    expect(head.toString()).toBe('early ');
    socket.write('stdin');
    let rest = '';
    for await (const chunk of socket) rest += String(chunk);
    expect(rest).toBe('echo:stdin');
  });

  it("sends an Upgrade request's body with its head, in one write: the engine drops what came with the head when it hijacks", async () => {
    // dockerd's attach hijacks the connection once it has the head: what it read with the head is dropped, a later
    // write would be werf's stdin (docker-modem sends the attach options as a body). So: one write, head and body.
    const writes: string[] = [];
    const write = vi.spyOn(net.Socket.prototype, 'write').mockImplementation(function (this: net.Socket, ...args: unknown[]) {
      // The client's writes (the server's answer starts with HTTP/).
      if (!String(args[0]).startsWith('HTTP/')) writes.push(String(args[0]));
      return Reflect.apply(realWrite, this, args) as boolean;
    });
    cleanups.push(() => write.mockRestore());
    const file = await rawServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
        socket.on('data', () => undefined);
        socket.on('end', () => socket.end());
      });
    });
    const body = '{"stream":true}';
    const request = unixRequest({
      socketPath: file,
      method: 'POST',
      path: '/attach',
      headers: { 'Content-Type': 'application/json', 'Content-Length': body.length, Connection: 'Upgrade', Upgrade: 'tcp' },
    });
    request.write(body);
    const socket = await new Promise<net.Socket>((resolve) => request.on('upgrade', (_res: UnixResponse, s: net.Socket) => resolve(s)));
    const before = writes.splice(0);
    socket.end('go\n');
    expect(before).toHaveLength(1);
    expect(before[0]).toMatch(/^POST \/attach HTTP\/1\.1\r\n[\s\S]*\r\n\r\n\{"stream":true\}$/);
  });

  it('fails as node:http does when there is no socket, and when the answer is cut short', async () => {
    const missing = await respond({ socketPath: path.join(socketPath(), 'none.sock') }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'ENOENT' });
    const file = await rawServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort'));
    });
    expect(await respond({ socketPath: file }).catch((e: unknown) => e)).toMatchObject({ code: 'ECONNRESET' });
    const silent = await rawServer((socket) => socket.once('data', () => socket.end()));
    expect(await respond({ socketPath: silent }).catch((e: unknown) => e)).toMatchObject({ message: 'socket hang up' });
  });

  it('an answer cut short is an error only to a reader that listens for one (as node:http): no crash for docker-modem', async () => {
    const file = await rawServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
        setTimeout(() => socket.destroy(), 20);
      });
    });
    // docker-modem's way with an answer it collects: data and end, no error listener.
    const response = await new Promise<UnixResponse>((resolve) =>
      unixRequest({ socketPath: file, method: 'POST', path: '/wait' }, resolve).end(),
    );
    response.on('data', () => undefined);
    await new Promise((resolve) => response.on('close', resolve));
    expect(response.destroyed).toBe(true);
    expect(response.readableEnded).toBe(false);
  });

  it('stops when its signal aborts, before the answer comes', async () => {
    const file = await rawServer(() => undefined);
    const abort = new AbortController();
    const pending = respond({ socketPath: file, signal: abort.signal }).catch((e: unknown) => e);
    setTimeout(() => abort.abort(), 20);
    expect(await pending).toMatchObject({ name: 'AbortError' });
  });
});

describe('ChunkedDecoder', () => {
  const body = '4\r\nwerf\r\n6;ext=1\r\n-run, \r\n5\r\nhello\r\n0\r\nTrailer: x\r\n\r\nafter';
  it('decodes a chunked body however the bytes are split, and stops at its end', () => {
    for (let cut = 1; cut < body.length; cut++) {
      const decoder = new ChunkedDecoder();
      const first = decoder.feed(Buffer.from(body.slice(0, cut)));
      const second = first.ended ? { data: [], ended: true } : decoder.feed(Buffer.from(body.slice(cut)));
      expect(Buffer.concat([...first.data, ...second.data]).toString()).toBe('werf-run, hello');
      expect(second.ended).toBe(true);
    }
  });

  it('refuses a size line that is not hexadecimal', () => {
    expect(() => new ChunkedDecoder().feed(Buffer.from('zz\r\ndata\r\n'))).toThrow(/broken chunked body/);
  });
});

describe('parseHead', () => {
  it('reads the status and lower-cases header names, joining repeated ones', () => {
    expect(parseHead('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nX-A: 1\r\nx-a: 2')).toEqual({
      statusCode: 404,
      statusMessage: 'Not Found',
      headers: { 'content-type': 'application/json', 'x-a': '1, 2' },
    });
    expect(parseHead('SSH-2.0-OpenSSH')).toBeUndefined();
  });
});
