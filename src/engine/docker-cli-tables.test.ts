/**
 * docker/cli's own test tables, as werf-run's: each block names the docker/cli
 * file it is ported from, at commit 28f756087eea5fa301f3fbf12b01ae62f91521c2
 * (read with `git show`, rows retyped, not copied code). A row is the input,
 * docker's verdict (the normalised host, or "refused") and, where werf-run
 * deliberately differs, why. A mismatch with docker is a failing row.
 *
 * Then the rows of issue 24 end to end: the input as DOCKER_HOST or --host,
 * through candidateEndpoints (what werf-run would connect to, and names) and
 * connectionTarget (where the engine client dials).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { candidateEndpoints, type DiscoveryFacts } from './candidates.js';
import type { ContextStoreAccess } from './context-store.js';
import { connectionTarget, parseDaemonHost, parseDockerHost, parseTcpAddr, type ConnectionTarget } from './docker-host.js';
import { parseSshUrl, remoteDialCommand, sshDialArgs } from './ssh-endpoint.js';

const DOCKER_CLI = 'docker/cli@28f756087eea';
const REFUSED = Symbol('refused');
type Verdict = string | typeof REFUSED;

const verdict = (f: () => string): Verdict => {
  try {
    return f();
  } catch {
    return REFUSED;
  }
};

describe(`${DOCKER_CLI} opts/hosts_test.go`, () => {
  // TestParseHost: ParseHost(false, value) on a non-Windows client.
  const parseHost: [string, Verdict][] = [
    ['something with spaces', REFUSED],
    ['://', REFUSED],
    ['unknown://', REFUSED],
    ['tcp://:port', REFUSED],
    ['tcp://invalid:port', REFUSED],
    ['', 'unix:///var/run/docker.sock'],
    [' ', 'unix:///var/run/docker.sock'],
    ['  ', 'unix:///var/run/docker.sock'],
    ['fd://', 'fd://'],
    ['fd://something', 'fd://something'],
    ['tcp://host:', 'tcp://host:2375'],
    ['tcp://', 'tcp://localhost:2375'],
    ['tcp://:2375', 'tcp://localhost:2375'],
    ['tcp://:2376', 'tcp://localhost:2376'],
    ['tcp://0.0.0.0:8080', 'tcp://0.0.0.0:8080'],
    ['tcp://192.168.0.0:12000', 'tcp://192.168.0.0:12000'],
    ['tcp://192.168:8080', 'tcp://192.168:8080'],
    ['tcp://0.0.0.0:1234567890', 'tcp://0.0.0.0:1234567890'],
    [' tcp://:7777/path ', 'tcp://localhost:7777/path'],
    ['tcp://docker.com:2375', 'tcp://docker.com:2375'],
    ['unix://', 'unix:///var/run/docker.sock'],
    ['unix://path/to/socket', 'unix://path/to/socket'],
    ['npipe://', 'npipe:////./pipe/docker_engine'],
    ['npipe:////./pipe/foo', 'npipe:////./pipe/foo'],
  ];
  it.each(parseHost)('TestParseHost %j -> %s', (input, expected) => {
    expect(verdict(() => parseDockerHost(input, false, 'posix'))).toBe(expected);
  });

  // TestParseDockerDaemonHost: parseDockerDaemonHost (no trimming, no empty default).
  const daemonHost: [string, Verdict][] = [
    ['tcp:a.b.c.d', REFUSED],
    ['tcp:a.b.c.d/path', REFUSED],
    ['udp://127.0.0.1', REFUSED],
    ['udp://127.0.0.1:2375', REFUSED],
    ['tcp://unix:///run/docker.sock', REFUSED],
    [' tcp://:7777/path ', REFUSED],
    ['', REFUSED],
    ['0.0.0.1:', 'tcp://0.0.0.1:2375'],
    ['0.0.0.1:5555', 'tcp://0.0.0.1:5555'],
    ['0.0.0.1:5555/path', 'tcp://0.0.0.1:5555/path'],
    ['[::1]:', 'tcp://[::1]:2375'],
    ['[::1]:5555/path', 'tcp://[::1]:5555/path'],
    ['[0:0:0:0:0:0:0:1]:', 'tcp://[0:0:0:0:0:0:0:1]:2375'],
    ['[0:0:0:0:0:0:0:1]:5555/path', 'tcp://[0:0:0:0:0:0:0:1]:5555/path'],
    [':6666', 'tcp://localhost:6666'],
    [':6666/path', 'tcp://localhost:6666/path'],
    ['tcp://', 'tcp://localhost:2375'],
    ['tcp://:7777', 'tcp://localhost:7777'],
    ['tcp://:7777/path', 'tcp://localhost:7777/path'],
    ['unix:///run/docker.sock', 'unix:///run/docker.sock'],
    ['unix://', 'unix:///var/run/docker.sock'],
    ['fd://', 'fd://'],
    ['fd://something', 'fd://something'],
    ['localhost:', 'tcp://localhost:2375'],
    ['localhost:5555', 'tcp://localhost:5555'],
    ['localhost:5555/path', 'tcp://localhost:5555/path'],
  ];
  it.each(daemonHost)('TestParseDockerDaemonHost %j -> %s', (input, expected) => {
    expect(verdict(() => parseDaemonHost(input, 'posix'))).toBe(expected);
  });
  it("TestParseDockerDaemonHost: the refusals carry docker's words", () => {
    expect(() => parseDaemonHost('udp://127.0.0.1', 'posix')).toThrow('invalid bind address format: udp://127.0.0.1');
    expect(() => parseDaemonHost('tcp://unix:///run/docker.sock', 'posix')).toThrow('invalid proto, expected tcp: unix:///run/docker.sock');
    expect(() => parseDaemonHost('', 'posix')).toThrow('invalid bind address format: ');
  });

  // TestParseTCP: ParseTCPAddr(value, "tcp://127.0.0.1:2376").
  const tcp: [string, Verdict][] = [
    ['tcp:a.b.c.d', REFUSED],
    ['tcp:a.b.c.d/path', REFUSED],
    ['udp://127.0.0.1', REFUSED],
    ['udp://127.0.0.1:2375', REFUSED],
    ['', 'tcp://127.0.0.1:2376'],
    ['tcp://', 'tcp://127.0.0.1:2376'],
    ['0.0.0.1:', 'tcp://0.0.0.1:2376'],
    ['0.0.0.1:5555', 'tcp://0.0.0.1:5555'],
    ['0.0.0.1:5555/path', 'tcp://0.0.0.1:5555/path'],
    [':6666', 'tcp://127.0.0.1:6666'],
    [':6666/path', 'tcp://127.0.0.1:6666/path'],
    ['tcp://:7777', 'tcp://127.0.0.1:7777'],
    ['tcp://:7777/path', 'tcp://127.0.0.1:7777/path'],
    ['[::1]:', 'tcp://[::1]:2376'],
    ['[::1]:5555', 'tcp://[::1]:5555'],
    ['[::1]:5555/path', 'tcp://[::1]:5555/path'],
    ['[0:0:0:0:0:0:0:1]:', 'tcp://[0:0:0:0:0:0:0:1]:2376'],
    ['[0:0:0:0:0:0:0:1]:5555', 'tcp://[0:0:0:0:0:0:0:1]:5555'],
    ['[0:0:0:0:0:0:0:1]:5555/path', 'tcp://[0:0:0:0:0:0:0:1]:5555/path'],
    ['localhost:', 'tcp://localhost:2376'],
    ['localhost:5555', 'tcp://localhost:5555'],
    ['localhost:5555/path', 'tcp://localhost:5555/path'],
  ];
  it.each(tcp)('TestParseTCP %j -> %s', (input, expected) => {
    expect(verdict(() => parseTcpAddr(input, 'tcp://127.0.0.1:2376'))).toBe(expected);
  });

  // TestParseInvalidUnixAddrInvalid, through parseDockerDaemonHost.
  it.each([
    ['unix://tcp://127.0.0.1', 'invalid proto, expected unix: tcp://127.0.0.1'],
    ['unix://unix://tcp://127.0.0.1', 'invalid proto, expected unix: tcp://127.0.0.1'],
  ])('TestParseInvalidUnixAddrInvalid %j is refused: %s', (input, message) => {
    expect(() => parseDaemonHost(input, 'posix')).toThrow(message);
  });

  // opts/hosts_windows.go: on Windows the default is the named pipe and the default HTTP host 127.0.0.1
  // (cli/command/cli_test.go TestNewAPIClientFromFlagsForDefaultSchema: ":2375" -> tcp://127.0.0.1:2375 there).
  it.each([
    ['', 'npipe:////./pipe/docker_engine'],
    ['npipe://', 'npipe:////./pipe/docker_engine'],
    [':2375', 'tcp://127.0.0.1:2375'],
    ['npipe:////./pipe/dockerDesktopLinuxEngine', 'npipe:////./pipe/dockerDesktopLinuxEngine'],
  ])('opts/hosts_windows.go (Windows facts, simulated here) %j -> %s', (input, expected) => {
    expect(parseDockerHost(input, false, 'windows')).toBe(expected);
  });
});

describe(`${DOCKER_CLI} cli/connhelper/ssh/ssh_test.go TestParseURL (and connhelper.go's remote command)`, () => {
  // docker's Spec{User, Host, Port, Path}; werf-run keeps the path only when it is more than slashes
  // (connhelper.go: strings.Trim(sp.Path, "/") != "" adds --host=unix://<path>).
  const ok: [string, string, { username?: string; host: string; port?: number; socketPath?: string }, string][] = [
    ['bare ssh URL', 'ssh://example.com', { host: 'example.com' }, 'docker system dial-stdio'],
    ['bare ssh URL with trailing slash', 'ssh://example.com/', { host: 'example.com' }, 'docker system dial-stdio'],
    ['bare ssh URL with trailing slashes', 'ssh://example.com//', { host: 'example.com' }, 'docker system dial-stdio'],
    [
      'ssh URL with path',
      'ssh://example.com/var/run/docker.sock',
      { host: 'example.com', socketPath: '/var/run/docker.sock' },
      'docker --host=unix:///var/run/docker.sock system dial-stdio',
    ],
    [
      'ssh URL with username and port',
      'ssh://me@example.com:10022',
      { username: 'me', host: 'example.com', port: 10022 },
      'docker system dial-stdio',
    ],
    [
      'ssh URL with username, port, and path',
      'ssh://me@example.com:10022/var/run/docker.sock',
      { username: 'me', host: 'example.com', port: 10022, socketPath: '/var/run/docker.sock' },
      'docker --host=unix:///var/run/docker.sock system dial-stdio',
    ],
  ];
  it.each(ok)('%s: %s', (_doc, url, spec, remote) => {
    expect(parseSshUrl(url)).toEqual(spec);
    expect(remoteDialCommand(parseSshUrl(url))).toBe(remote);
  });

  it('bad path: the path reaches the remote shell as one word, never as shell syntax', () => {
    const target = parseSshUrl(`ssh://example.com/var/run/docker.sock '$(echo hello > /hello.txt)'`);
    expect(target.socketPath).toBe(`/var/run/docker.sock '$(echo hello > /hello.txt)'`);
    const command = remoteDialCommand(target);
    // A real POSIX shell splits it as the remote one will: four words, the path intact, nothing run.
    const words = execFileSync('sh', ['-c', `printf '%s\\n' ${command}`], { encoding: 'utf8' })
      .split('\n')
      .slice(0, -1);
    expect(words).toEqual(['docker', `--host=unix:///var/run/docker.sock '$(echo hello > /hello.txt)'`, 'system', 'dial-stdio']);
    expect(sshDialArgs(target, undefined).at(-1)).toBe(command);
  });

  const refused: [string, string][] = [
    ['malformed URL', 'malformed %%url'],
    ['URL missing scheme', 'no-scheme.example.com'],
    ['invalid URL with password', 'ssh://me:passw0rd@example.com'],
    ['invalid URL with query parameter', 'ssh://example.com?foo=bar&bar=baz'],
    ['invalid URL with fragment', 'ssh://example.com#bar'],
    ['invalid URL without hostname', 'ssh://'],
    ['no hostname, a path', 'ssh:///no-hostname'],
    ['invalid URL with unsupported scheme', 'https://example.com'],
    ['invalid URL with NUL character', 'ssh://example.com/var/run/\x00docker.sock'],
    ['invalid URL with newline character', 'ssh://example.com/var/run/docker.sock\n'],
    ['invalid URL with control character', 'ssh://example.com/var/run/\x1bdocker.sock'],
  ];
  it.each(refused)('%s: %j is refused (exit 2)', (_doc, url) => {
    expect(() => parseSshUrl(url)).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});

describe(`${DOCKER_CLI} cli/connhelper/connhelper_test.go`, () => {
  it('TestSSHFlags / TestDisablePseudoTerminalAllocation: ConnectTimeout=30 and -T on every ssh werf-run runs', () => {
    for (const args of [sshDialArgs({ host: 'h' }, undefined), sshDialArgs({ host: 'h', socketPath: '/s' }, '/tmp/c')]) {
      expect(args.slice(0, 3)).toEqual(['-o', 'ConnectTimeout=30', '-T']);
    }
  });
});

/** A docker config dir with no contexts; `files` exist (for DOCKER_CERT_PATH rows). */
function store(files: string[] = []): ContextStoreAccess {
  return { configDir: '/cfg', readText: () => undefined, exists: (f) => files.includes(f), listNames: () => [] };
}

const facts = (over: Partial<DiscoveryFacts>): DiscoveryFacts => ({ env: {}, home: '/home/u', store: store(), platform: 'linux', ...over });
const chosen = (f: DiscoveryFacts) => {
  const { endpoints, strategy } = candidateEndpoints(f);
  return { urls: endpoints.map((e) => e.url), by: strategy.name, explicit: strategy.explicit, tls: endpoints[0]?.tls };
};

describe(`${DOCKER_CLI} cli/flags/options.go (TLS of the default context) and cli/command/cli.go resolveDefaultDockerEndpoint`, () => {
  const certs = ['/certs/ca.pem', '/certs/cert.pem', '/certs/key.pem'];
  it('DOCKER_CERT_PATH alone means nothing: no TLS (dockerTLS and dockerTLSVerify are both false)', () => {
    expect(chosen(facts({ env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_CERT_PATH: '/certs' }, store: store(certs) })).tls).toBeUndefined();
  });
  it('DOCKER_TLS_VERIFY (any non-empty value, even "0") turns TLS on with verification', () => {
    expect(
      chosen(facts({ env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '0', DOCKER_CERT_PATH: '/certs' }, store: store(certs) })).tls,
    ).toEqual({
      caFile: '/certs/ca.pem',
      certFile: '/certs/cert.pem',
      keyFile: '/certs/key.pem',
      verify: true,
    });
  });
  it('DOCKER_TLS turns TLS on without verification (InsecureSkipVerify = !TLSVerify)', () => {
    expect(
      chosen(facts({ env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS: '1', DOCKER_CERT_PATH: '/certs' }, store: store(certs) })).tls?.verify,
    ).toBe(false);
  });
  it('a CA-only directory: cert.pem and key.pem that do not exist are dropped (SetDefaultOptions), ca.pem stays required', () => {
    expect(
      chosen(
        facts({
          env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
          store: store(['/certs/ca.pem']),
        }),
      ).tls,
    ).toEqual({
      caFile: '/certs/ca.pem',
      certFile: undefined,
      keyFile: undefined,
      verify: true,
    });
    expect(
      chosen(facts({ env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' }, store: store([]) })).tls
        ?.caFile,
    ).toBe('/certs/ca.pem');
  });
  it('without DOCKER_CERT_PATH the files are looked for in the docker config dir', () => {
    expect(chosen(facts({ env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1' } })).tls?.caFile).toBe('/cfg/ca.pem');
  });
  it('TLS on with no host: the default context is tcp://localhost:2376 (ParseHost with defaultToTLS), an explicit choice', () => {
    expect(chosen(facts({ env: { DOCKER_TLS_VERIFY: '1' } }))).toMatchObject({ urls: ['tcp://localhost:2376'], explicit: true });
  });
});

describe(`${DOCKER_CLI} cli/command/cli.go resolveContextName (precedence), and cli_test.go / context/use_test.go rows`, () => {
  it.each([
    [
      '--host beats DOCKER_HOST, DOCKER_CONTEXT and currentContext',
      { explicitHost: 'tcp://flag:1', env: { DOCKER_HOST: 'tcp://env:1', DOCKER_CONTEXT: 'x' } },
      'tcp://flag:1',
    ],
    ['DOCKER_HOST beats DOCKER_CONTEXT', { env: { DOCKER_HOST: 'tcp://env:1', DOCKER_CONTEXT: 'x' } }, 'tcp://env:1'],
    ['DOCKER_HOST="" is unset', { env: { DOCKER_HOST: '' } }, 'unix:///var/run/docker.sock'],
    ['TestNewAPIClientFromFlags: unix://path stays relative', { explicitHost: 'unix://path' }, 'unix://path'],
    ['TestNewAPIClientFromFlagsForDefaultSchema: :2375', { explicitHost: ':2375' }, 'tcp://localhost:2375'],
    ['context/use_test.go: DOCKER_HOST=tcp://ed:2375/', { env: { DOCKER_HOST: 'tcp://ed:2375/' } }, 'tcp://ed:2375/'],
    [
      'defaultcontextstore_test.go: DOCKER_HOST=ssh://someswarmserver',
      { env: { DOCKER_HOST: 'ssh://someswarmserver' } },
      'ssh://someswarmserver',
    ],
  ] as [string, Partial<DiscoveryFacts>, string][])('%s', (_what, over, url) => {
    expect(chosen(facts(over)).urls[0]).toBe(url);
  });

  it('--host with --context is refused ("conflicting options")', () => {
    expect(() => candidateEndpoints(facts({ explicitHost: 'tcp://a:1', explicitContext: 'b' }))).toThrow(/both set/);
  });

  it('DELIBERATE DIFFERENCE: with nothing chosen docker uses the default socket only; werf-run tries the well-known sockets of this platform (a choice is still final)', () => {
    const none = chosen(facts({}));
    expect(none.explicit).toBe(false);
    expect(none.urls[0]).toBe('unix:///var/run/docker.sock');
    expect(none.urls.length).toBeGreaterThan(1);
  });
});

/** Issue 24 §4 and the npipe row of issue 25, end to end: the input as DOCKER_HOST, then where the client dials. */
describe('issue 24 rows: what werf-run connects to, against what docker connects to', () => {
  const dial = (host: string, env: Record<string, string> = {}): ConnectionTarget | typeof REFUSED => {
    try {
      const [endpoint] = candidateEndpoints(facts({ env: { DOCKER_HOST: host, ...env } })).endpoints;
      return connectionTarget(endpoint!.url, endpoint!.tls !== undefined);
    } catch {
      return REFUSED;
    }
  };
  const sock = (path: string) => ({ kind: 'socket', path });
  const tcpAt = (host: string, port: string, basePath = '') => ({ kind: 'tcp', host, port, basePath });
  it.each([
    ['" " (docker trims it: the default socket)', ' ', sock('/var/run/docker.sock')],
    ['unix:// (the default socket)', 'unix://', sock('/var/run/docker.sock')],
    ['unix://docker.sock (relative to the working directory)', 'unix://docker.sock', sock('docker.sock')],
    ['unix://path/to/socket', 'unix://path/to/socket', sock('path/to/socket')],
    ['unix://./docker.sock', 'unix://./docker.sock', sock('./docker.sock')],
    ['tcp://:2375 (localhost)', 'tcp://:2375', tcpAt('localhost', '2375')],
    [':6666 (tcp on localhost)', ':6666', tcpAt('localhost', '6666')],
    ['tcp://h:5555/path (the API under /path)', 'tcp://h:5555/path', tcpAt('h', '5555', '/path')],
    ['tcp://h (port 2375 added, TLS or not, as ParseTCPAddr does)', 'tcp://h', tcpAt('h', '2375')],
    ['npipe:////./pipe/docker_engine (text, not a URL path)', 'npipe:////./pipe/docker_engine', sock('//./pipe/docker_engine')],
    ['TCP://h:1 (schemes are case-sensitive)', 'TCP://h:1', REFUSED],
    ['http://h:1', 'http://h:1', REFUSED],
    ['https://h:1', 'https://h:1', REFUSED],
    ['tcp://unix:///run/docker.sock', 'tcp://unix:///run/docker.sock', REFUSED],
    ['unix://tcp://127.0.0.1', 'unix://tcp://127.0.0.1', REFUSED],
    ['DELIBERATE DIFFERENCE fd:// (docker accepts it but cannot connect through it: refused at once, exit 2)', 'fd://', REFUSED],
  ] as [string, string, ConnectionTarget | typeof REFUSED][])('%s', (_what, host, target) => {
    expect(dial(host)).toEqual(target);
  });

  it('DOCKER_TLS_VERIFY=1 with no DOCKER_HOST dials tcp://localhost:2376 with TLS, not a unix socket', () => {
    const [endpoint] = candidateEndpoints(facts({ env: { DOCKER_TLS_VERIFY: '1' } })).endpoints;
    expect(connectionTarget(endpoint!.url, endpoint!.tls !== undefined)).toEqual(tcpAt('localhost', '2376'));
  });

  it("a refused host is a usage error (exit 2) that names the variable, the value and docker's reason", () => {
    expect(() => candidateEndpoints(facts({ env: { DOCKER_HOST: 'http://h:1' } }))).toThrow(
      expect.objectContaining({
        exitCode: 2,
        message:
          'DOCKER_HOST = "http://h:1" is not a Docker host: invalid bind address format: http://h:1 (the docker CLI refuses it the same way)',
      }),
    );
  });

  it("a context's stored host is read as moby's client reads it: no port means HTTP's own", () => {
    expect(connectionTarget('tcp://h', false)).toEqual(tcpAt('h', '80'));
    expect(connectionTarget('tcp://h', true)).toEqual(tcpAt('h', '443'));
    expect(() => connectionTarget('unix://', false)).toThrow(/cannot be parsed/);
  });
});
