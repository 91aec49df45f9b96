/**
 * HTTP/1.1 to the engine's unix socket (or Windows named pipe) on node:net
 * alone: the request half of node:http that docker-modem uses
 * (`http.request(options)` in lib/modem.js buildRequest), for the CLI's
 * bundle, where it takes the place of docker-modem's ./http for socket
 * endpoints (scripts/build.js MODEM_HTTP). tcp, TLS and ssh endpoints still
 * go through node:http.
 *
 * Why not node:http: loading it and making the first request compiles its
 * client, agent, parser glue and outgoing/incoming message code on every run
 * (31 M instructions beyond net's own in a bare script, and 1 M more per
 * request; in a warm run, measured under callgrind, ~16 M of ~284 M), for the
 * few request shapes the Engine API needs over a local socket.
 *
 * What it does, as node:http does for these requests: a `Host: localhost`
 * header; a body with Content-Length, or chunked when none is given (a piped
 * stream) and the method has a body; the response as a Readable with
 * statusCode and lower-cased headers, framed by Content-Length, chunked
 * encoding or the end of the connection; `upgrade` for a 101 answer to a
 * request with an Upgrade header (the socket and the bytes after the head).
 * Connections are kept open between requests, per socket, as node:http's
 * agent keeps them (below).
 */
import net from 'node:net';
import { Readable, Writable } from 'node:stream';

export interface UnixRequestOptions {
  socketPath: string;
  method?: string;
  path?: string;
  headers?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
}

/** The answer: what docker-modem reads of node's IncomingMessage. */
export class UnixResponse extends Readable {
  constructor(
    readonly statusCode: number,
    readonly statusMessage: string,
    readonly headers: Record<string, string>,
    private readonly connection: { resume(): void; abandon(): void },
  ) {
    super();
  }

  override _read(): void {
    this.connection.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Left before its end: the connection is closed (one whose answer came whole may serve the next request).
    this.connection.abandon();
    // As node:http's IncomingMessage: an answer cut short is an error only to whoever listens for one (docker-modem
    // does not, for an answer it collects: an engine that dies mid-answer must not crash werf-run).
    callback(this.listenerCount('error') > 0 ? error : null);
  }
}

/** Methods node:http sends without a body unless one is written (its useChunkedEncodingByDefault). */
const BODYLESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

const HEAD_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');
/** An answer's head longer than this is not an engine's (node:http's own limit is 16 KiB). */
const MAX_HEAD_BYTES = 64 * 1024;

function connectionError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

const abortError = (): Error => Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });

/** Status line and headers of an answer's head (without the blank line). */
export function parseHead(text: string): { statusCode: number; statusMessage: string; headers: Record<string, string> } | undefined {
  const [statusLine = '', ...lines] = text.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!status) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { statusCode: Number(status[1]), statusMessage: status[2] ?? '', headers };
}

/**
 * A chunked body's decoder (RFC 9112 section 7.1): feed it the bytes as they
 * come; it hands on the data and says when the last chunk (and its trailers)
 * has come. Pure.
 */
export class ChunkedDecoder {
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes left of the current chunk's data; -1: expecting a size line; -2: trailers. */
  private left = -1;
  private crlfAfterData = false;
  done = false;

  /** The data in `bytes` (in order), and whether the body ended (bytes after the end are ignored). */
  feed(bytes: Buffer): { data: Buffer[]; ended: boolean } {
    this.pending = this.pending.length ? Buffer.concat([this.pending, bytes]) : bytes;
    const data: Buffer[] = [];
    while (!this.done && this.step(data));
    return { data, ended: this.done };
  }

  /** One step; false when more bytes are needed. */
  private step(data: Buffer[]): boolean {
    if (this.crlfAfterData) {
      if (this.pending.length < 2) return false;
      this.pending = this.pending.subarray(2);
      this.crlfAfterData = false;
    }
    if (this.left > 0) {
      if (!this.pending.length) return false;
      const take = this.pending.subarray(0, this.left);
      data.push(take);
      this.left -= take.length;
      this.pending = this.pending.subarray(take.length);
      if (this.left === 0) {
        this.left = -1;
        this.crlfAfterData = true;
      }
      return true;
    }
    const eol = this.pending.indexOf('\r\n');
    if (eol < 0) return false;
    const line = this.pending.subarray(0, eol).toString('latin1');
    this.pending = this.pending.subarray(eol + 2);
    if (this.left === -2) {
      // Trailers end with an empty line.
      if (line === '') this.done = true;
      return true;
    }
    const size = Number.parseInt(line.split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size) || size < 0)
      throw connectionError(
        `the engine sent a broken chunked body (size line ${JSON.stringify(line.slice(0, 40))})`,
        'HPE_INVALID_CHUNK_SIZE',
      );
    this.left = size === 0 ? -2 : size;
    return true;
  }
}

/** The request line and headers, with the framing node:http would add. */
function requestHead(options: UnixRequestOptions, method: string, chunked: boolean, emptyBody: boolean): string {
  const lines = [`${method} ${options.path ?? '/'} HTTP/1.1`];
  const given = new Set<string>();
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value === undefined) continue;
    lines.push(`${name}: ${value}`);
    given.add(name.toLowerCase());
  }
  if (!given.has('host')) lines.push('Host: localhost');
  if (chunked && !given.has('transfer-encoding')) lines.push('Transfer-Encoding: chunked');
  if (emptyBody && !given.has('content-length') && !given.has('transfer-encoding') && !BODYLESS.has(method))
    lines.push('Content-Length: 0');
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Connections kept open between requests, per socket (HTTP/1.1 keep-alive, as
 * node:http's agent keeps them): a warm run asks the engine a dozen things, and
 * a connection of its own for each cost it ~0.6 ms of CPU apiece on
 * this project's machines. An idle connection does not keep the process alive;
 * one the engine closes, or that says anything while idle, is dropped.
 */
const idle = new Map<string, Map<net.Socket, () => void>>();

function keepIdle(socketPath: string, socket: net.Socket): void {
  const pool = idle.get(socketPath) ?? new Map<net.Socket, () => void>();
  idle.set(socketPath, pool);
  const drop = (): void => {
    unwatch();
    pool.delete(socket);
    socket.destroy();
  };
  const unwatch = (): void => {
    socket.off('data', drop);
    socket.off('end', drop);
    socket.off('error', drop);
    socket.off('close', drop);
  };
  socket.on('data', drop);
  socket.on('end', drop);
  socket.on('error', drop);
  socket.on('close', drop);
  socket.setTimeout(0);
  // Reading while idle (else the engine's close would go unseen), and not keeping the process alive.
  socket.resume();
  socket.unref();
  pool.set(socket, unwatch);
}

function takeIdle(socketPath: string): net.Socket | undefined {
  const pool = idle.get(socketPath);
  for (const [socket, unwatch] of pool ?? []) {
    pool!.delete(socket);
    unwatch();
    if (socket.destroyed || !socket.writable || socket.readableEnded) {
      socket.destroy();
      continue;
    }
    socket.ref();
    return socket;
  }
  return undefined;
}

/** A request: a Writable for its body; emits `response`, `upgrade`, `timeout` and `error` as node's ClientRequest does. */
export class UnixRequest extends Writable {
  private socket: net.Socket | undefined;
  private headSent = false;
  private readonly method: string;
  private readonly chunked: boolean;
  private readonly upgrade: boolean;
  private response: UnixResponse | undefined;
  private head: Buffer = Buffer.alloc(0);
  private decoder: ChunkedDecoder | undefined;
  private bodyLeft = -1;
  /** The answer has come to its end, or the socket was handed over (an upgrade). */
  private done = false;
  private readonly onSocketData = (bytes: Buffer): void => this.onData(bytes);
  private readonly onSocketEnd = (): void => this.onEnd();
  private readonly onSocketError = (error: Error): void => {
    if (this.response) this.response.destroy(error);
    else this.destroy(error);
  };
  private readonly onSocketTimeout = (): void => void this.emit('timeout');

  constructor(private readonly options: UnixRequestOptions) {
    // Not destroyed when the body is written: the answer is still to come on the socket.
    super({ autoDestroy: false });
    const headers = Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    this.upgrade = headers.upgrade !== undefined;
    this.method = (options.method ?? 'GET').toUpperCase();
    this.chunked =
      String(headers['transfer-encoding'] ?? '').toLowerCase() === 'chunked' ||
      (headers['content-length'] === undefined && !BODYLESS.has(this.method) && !this.upgrade);
    options.signal?.addEventListener('abort', () => this.destroy(abortError()), { once: true });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    if (this.options.signal?.aborted) return callback(abortError());
    const kept = takeIdle(this.options.socketPath);
    if (kept) return this.connect(kept, callback);
    const socket = net.connect(this.options.socketPath);
    // Before the connection (no socket there, refused): the request fails with the socket's error, as node:http's does.
    const refused = (error: Error): void => callback(error);
    socket.once('error', refused);
    socket.once('connect', () => {
      socket.off('error', refused);
      this.connect(socket, callback);
    });
  }

  private connect(socket: net.Socket, callback: (error?: Error | null) => void): void {
    this.socket = socket;
    socket.on('data', this.onSocketData);
    socket.on('end', this.onSocketEnd);
    socket.on('error', this.onSocketError);
    // An upgrade's caller may write nothing before it is handed the socket: then the head goes at once. Else it goes
    // with the body, in one write, as node:http sends it: the engine drops what came with the head when it hijacks
    // the connection (docker-modem's attach sends its options as a body), where a later write would reach werf's stdin.
    if (this.upgrade && this.writableLength === 0) this.sendHead(false);
    callback();
  }

  /** Takes this request's listeners off its socket (an upgrade hands it over, a whole answer gives it back). */
  private detach(socket: net.Socket): void {
    socket.off('data', this.onSocketData);
    socket.off('end', this.onSocketEnd);
    socket.off('error', this.onSocketError);
    socket.off('timeout', this.onSocketTimeout);
  }

  setTimeout(ms: number): this {
    this.socket?.setTimeout(ms);
    this.socket?.on('timeout', this.onSocketTimeout);
    return this;
  }

  /** The head, unless sent: written with the body's first bytes, so that a request is one write to the socket. */
  private headOnce(emptyBody: boolean): Buffer[] {
    if (this.headSent) return [];
    this.headSent = true;
    return [Buffer.from(requestHead(this.options, this.method, this.chunked && !emptyBody, emptyBody), 'latin1')];
  }

  private sendHead(emptyBody: boolean): void {
    for (const head of this.headOnce(emptyBody)) this.socket!.write(head);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.socket || !chunk.length) return callback();
    const socket = this.socket;
    const head = this.headOnce(false);
    const parts = this.chunked ? [Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, CRLF] : [chunk];
    // With the head: one buffer, one write (see connect()). After it, corked: one writev, the body's bytes not copied
    // (a shipped tree is megabytes of them).
    if (head.length) return void socket.write(Buffer.concat([...head, ...parts]), callback);
    socket.cork();
    parts.forEach((part, i) => socket.write(part, i === parts.length - 1 ? callback : undefined));
    socket.uncork();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.socket) return callback();
    if (!this.headSent) {
      this.sendHead(true);
      return callback();
    }
    if (this.chunked) this.socket.write(LAST_CHUNK, callback);
    else callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket?.destroy();
    if (error && this.response && !this.response.destroyed) this.response.destroy(error);
    callback(this.response ? null : error);
  }

  private onData(bytes: Buffer): void {
    if (this.response) return this.body(bytes);
    this.head = this.head.length ? Buffer.concat([this.head, bytes]) : bytes;
    const end = this.head.indexOf(HEAD_END);
    if (end < 0) {
      if (this.head.length > MAX_HEAD_BYTES)
        this.destroy(connectionError('the engine sent an answer whose head never ends', 'HPE_HEADER_OVERFLOW'));
      return;
    }
    const parsed = parseHead(this.head.subarray(0, end).toString('latin1'));
    const rest = this.head.subarray(end + HEAD_END.length);
    if (!parsed) return void this.destroy(connectionError('the engine did not answer in HTTP/1.1', 'HPE_INVALID_CONSTANT'));
    const response = new UnixResponse(parsed.statusCode, parsed.statusMessage, parsed.headers, {
      resume: () => this.socket?.resume(),
      abandon: () => {
        if (!this.done) this.socket?.destroy();
      },
    });
    this.response = response;
    if (parsed.statusCode === 101 && this.upgrade) return this.handOver(response, rest);
    const noBody = this.method === 'HEAD' || parsed.statusCode === 204 || parsed.statusCode === 304 || parsed.statusCode < 200;
    if (/\bchunked\b/i.test(parsed.headers['transfer-encoding'] ?? '')) this.decoder = new ChunkedDecoder();
    else if (parsed.headers['content-length'] !== undefined) this.bodyLeft = Number(parsed.headers['content-length']);
    if (noBody) this.bodyLeft = 0;
    this.emit('response', response);
    if (this.bodyLeft === 0) return this.finish();
    if (rest.length) this.body(rest);
  }

  /** A 101 answer: the socket is the caller's now (docker-modem's hijacked attach). */
  private handOver(response: UnixResponse, rest: Buffer): void {
    const socket = this.socket!;
    this.done = true;
    this.detach(socket);
    // Not flowing until its new reader asks (as node:http hands an upgraded socket over): bytes would be dropped in between.
    (socket as { readableFlowing: boolean | null }).readableFlowing = null;
    this.socket = undefined;
    if (this.listenerCount('upgrade') === 0) return void socket.destroy();
    this.emit('upgrade', response, socket, rest);
  }

  private body(bytes: Buffer): void {
    const response = this.response!;
    let data = [bytes];
    let ended = false;
    if (this.decoder) {
      try {
        ({ data, ended } = this.decoder.feed(bytes));
      } catch (error) {
        return void response.destroy(error as Error);
      }
    } else if (this.bodyLeft >= 0) {
      data = [bytes.subarray(0, this.bodyLeft)];
      this.bodyLeft -= data[0]!.length;
      ended = this.bodyLeft === 0;
    }
    let more = true;
    for (const chunk of data) if (chunk.length) more = response.push(chunk) && more;
    if (ended) this.finish();
    else if (!more) this.socket?.pause();
  }

  private finish(): void {
    this.done = true;
    const socket = this.socket;
    this.socket = undefined;
    this.response!.push(null);
    if (!socket) return;
    this.detach(socket);
    // The next request may use the connection: unless the engine closes it, or this request's body is not all sent.
    if (this.writableFinished && !/\bclose\b/i.test(this.response!.headers.connection ?? '')) keepIdle(this.options.socketPath, socket);
    else socket.destroy();
  }

  private onEnd(): void {
    const response = this.response;
    if (!response) return void this.destroy(connectionError('socket hang up', 'ECONNRESET'));
    if (this.done || response.destroyed) return;
    this.done = true;
    // A body framed by the end of the connection ends here; a framed one cut short is an error.
    if (this.decoder || this.bodyLeft > 0)
      response.destroy(connectionError('the engine closed the connection in the middle of its answer', 'ECONNRESET'));
    else response.push(null);
  }
}

/** `http.request(options, callback)` for a socket: the callback, if any, gets the response. */
export function unixRequest(options: UnixRequestOptions, callback?: (response: UnixResponse) => void): UnixRequest {
  const request = new UnixRequest(options);
  if (callback) request.once('response', callback);
  return request;
}
