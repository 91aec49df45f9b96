/**
 * What a Docker host string means, as the docker CLI reads it (pure).
 *
 * Two readings, as in docker/cli (at 28f756087eea, the commit the table test
 * cites):
 * - `--host` and `DOCKER_HOST` go through `opts.ParseHost` (opts/hosts.go):
 *   trimmed, a bare `host:port` is tcp, empty parts get defaults
 *   (`unix://` -> the default socket, `tcp://:2375` -> localhost), unknown
 *   schemes are refused. parseDockerHost() follows it.
 * - a context's stored host goes to the API client as it is (moby's
 *   `client.ParseHostURL`: the text after "://" is the address, a tcp URL's
 *   path is the API's base path). connectionTarget() follows it, and is also
 *   what turns a parsed host into the place werf-run connects to.
 *
 * Written from reading docker/cli's code, not copied from it.
 */
import { UsageError } from '../errors.js';

/** The platform facts a host string depends on: Windows' default is a named pipe and 127.0.0.1, elsewhere a unix socket and localhost. */
export type HostPlatform = 'windows' | 'posix';

export const platformOf = (platform: NodeJS.Platform): HostPlatform => (platform === 'win32' ? 'windows' : 'posix');

const DEFAULT_UNIX_SOCKET = '/var/run/docker.sock';
const DEFAULT_NAMED_PIPE = '//./pipe/docker_engine';

/** opts/hosts_unix.go, opts/hosts_windows.go: defaultHost and defaultHTTPHost. */
function defaultHost(platform: HostPlatform): string {
  return platform === 'windows' ? `npipe://${DEFAULT_NAMED_PIPE}` : `unix://${DEFAULT_UNIX_SOCKET}`;
}
const defaultHttpHost = (platform: HostPlatform): string => (platform === 'windows' ? '127.0.0.1' : 'localhost');

/** The docker CLI's verdict on a host string it refuses; the message is docker's own wording. */
export class DockerHostError extends Error {
  override name = 'DockerHostError';
}

/** opts.ParseHost: the --host / DOCKER_HOST value as the docker CLI normalises it, or DockerHostError. */
export function parseDockerHost(value: string, defaultToTLS: boolean, platform: HostPlatform): string {
  const host = value.trim();
  if (host === '') return defaultToTLS ? `tcp://${defaultHttpHost(platform)}:2376` : defaultHost(platform);
  return parseDaemonHost(host, platform);
}

/** opts.parseDockerDaemonHost (no trimming, no empty default). */
export function parseDaemonHost(addr: string, platform: HostPlatform): string {
  const at = addr.indexOf('://');
  let proto = at < 0 ? addr : addr.slice(0, at);
  let rest = at < 0 ? '' : addr.slice(at + 3);
  if (at < 0 && proto !== '') {
    rest = proto;
    proto = 'tcp';
  }
  switch (proto) {
    case 'tcp':
      return parseTcpAddr(rest, `tcp://${defaultHttpHost(platform)}:2375`);
    case 'unix':
      return simpleProtoAddr('unix', rest, DEFAULT_UNIX_SOCKET);
    case 'npipe':
      return simpleProtoAddr('npipe', rest, DEFAULT_NAMED_PIPE);
    case 'fd':
    case 'ssh':
      return addr;
    default:
      throw new DockerHostError(`invalid bind address format: ${addr}`);
  }
}

function simpleProtoAddr(proto: string, addr: string, defaultAddr: string): string {
  const rest = addr.startsWith(`${proto}://`) ? addr.slice(proto.length + 3) : addr;
  if (rest.includes('://')) throw new DockerHostError(`invalid proto, expected ${proto}: ${rest}`);
  return `${proto}://${rest || defaultAddr}`;
}

/** Go's net.SplitHostPort, enough for host strings: undefined where Go errors. */
function splitHostPort(hostport: string): [string, string] | undefined {
  const colon = hostport.lastIndexOf(':');
  if (colon < 0) return undefined;
  let host: string;
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0 || end + 1 !== colon) return undefined;
    host = hostport.slice(1, end);
  } else {
    host = hostport.slice(0, colon);
    if (host.includes(':')) return undefined;
  }
  const port = hostport.slice(colon + 1);
  return [host, port];
}

const joinHostPort = (host: string, port: string): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** Characters Go's url.Parse accepts in a host (net/url shouldEscape for encodeHost). */
const GO_HOST_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:[\]%<>"]*$/;

/** The host[:port] and path of "tcp://" + addr as Go's url.Parse splits them, or undefined where it errors. */
function goParseTcpUrl(addr: string): { host: string; path: string } | undefined {
  const end = addr.search(/[/?#]/);
  const authority = end < 0 ? addr : addr.slice(0, end);
  const tail = end < 0 ? '' : addr.slice(end);
  const path = tail.startsWith('/') ? tail.replace(/[?#].*$/, '') : '';
  const host = authority.includes('@') ? authority.slice(authority.lastIndexOf('@') + 1) : authority;
  if (!GO_HOST_CHARS.test(host)) return undefined;
  // Go checks that what follows the last colon (after a bracketed IPv6 literal) is digits.
  const afterBracket = host.startsWith('[') ? host.slice(host.indexOf(']') + 1) : host;
  if (host.startsWith('[') && !host.includes(']')) return undefined;
  const colon = afterBracket.lastIndexOf(':');
  if (host.startsWith('[') && afterBracket !== '' && !afterBracket.startsWith(':')) return undefined;
  if (colon >= 0 && !/^\d*$/.test(afterBracket.slice(colon + 1))) return undefined;
  return { host, path };
}

/** opts.ParseTCPAddr: tcp://host:port[/path] with the defaults' host and port where they are empty. */
export function parseTcpAddr(tryAddr: string, defaultAddr: string): string {
  if (tryAddr === '' || tryAddr === 'tcp://') return defaultAddr;
  let addr = tryAddr.startsWith('tcp://') ? tryAddr.slice(6) : tryAddr;
  if (addr.includes('://') || addr === '') throw new DockerHostError(`invalid proto, expected tcp: ${tryAddr}`);
  const [defaultHostName, defaultPort] = splitHostPort(defaultAddr.replace(/^tcp:\/\//, '')) ?? ['', ''];
  if (addr.endsWith(']:')) addr += defaultPort;
  const parsed = goParseTcpUrl(addr);
  if (!parsed) throw new DockerHostError(`invalid bind address format: ${tryAddr}`);
  const split = splitHostPort(parsed.host) ?? splitHostPort(joinHostPort(parsed.host, defaultPort));
  if (!split) throw new DockerHostError(`invalid bind address format: ${tryAddr}`);
  const host = split[0] || defaultHostName;
  const port = split[1] || defaultPort;
  if (!/^\d+$/.test(port)) throw new DockerHostError(`invalid bind address format: ${tryAddr}`);
  return `tcp://${joinHostPort(host, port)}${parsed.path}`;
}

export const ENDPOINT_FORMS =
  'use unix:///path/to/docker.sock, tcp://host:port, ssh://[user@]host[:port][/path/to/socket] or npipe:////./pipe/name, as the docker CLI does';

/** Where a host string connects: a socket (unix socket or named pipe), tcp, or ssh. */
export type ConnectionTarget =
  { kind: 'socket'; path: string } | { kind: 'tcp'; host: string; port: string; basePath: string } | { kind: 'ssh'; url: string };

/**
 * The place a host string (normalised by parseDockerHost, or a context's
 * stored host) connects to, as moby's client.ParseHostURL reads it: the text
 * after "://" as it is. So a relative unix socket stays relative (to the
 * working directory, as for docker), and a named pipe is text
 * (`npipe:////./pipe/x` -> `//./pipe/x`), never a URL's path. A tcp host
 * without a port gets HTTP's (80, 443 with TLS), as Go's HTTP client does.
 */
export function connectionTarget(host: string, tls: boolean): ConnectionTarget {
  const at = host.indexOf('://');
  const proto = at < 0 ? '' : host.slice(0, at);
  const addr = at < 0 ? '' : host.slice(at + 3);
  const bad = (why: string): never => {
    throw new UsageError(`the Docker endpoint ${JSON.stringify(host)} ${why}`, ENDPOINT_FORMS);
  };
  if (at < 0 || addr === '') return bad('cannot be parsed (the docker CLI says: unable to parse docker host)');
  switch (proto) {
    case 'unix':
    case 'npipe':
      return { kind: 'socket', path: addr };
    case 'tcp': {
      const parsed = goParseTcpUrl(addr);
      if (!parsed || !parsed.host) return bad('has no valid host');
      const split = splitHostPort(parsed.host);
      const [hostName, port] = split ?? [parsed.host.replace(/^\[|\]$/g, ''), ''];
      return { kind: 'tcp', host: hostName, port: port || (tls ? '443' : '80'), basePath: parsed.path.replace(/\/+$/, '') };
    }
    case 'ssh':
      return { kind: 'ssh', url: host };
    case 'fd':
      return bad(
        'uses fd://, which only dockerd can listen on (socket activation); the docker CLI accepts it but cannot connect through it',
      );
    default:
      return bad(`uses the scheme ${proto}://, which the docker CLI does not connect to`);
  }
}
