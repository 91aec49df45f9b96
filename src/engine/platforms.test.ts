/**
 * Engine discovery on the platforms this machine cannot run: SIMULATED. The
 * platform, home, environment and directory listings are injected facts; no
 * Windows or macOS engine answered any of this. Each row says what that
 * platform's product documents (see docs/engines.md#engines-per-platform):
 * - Docker Desktop: npipe:////./pipe/docker_engine and, for its Linux engine
 *   (context desktop-linux), npipe:////./pipe/dockerDesktopLinuxEngine on
 *   Windows; ~/.docker/run/docker.sock on macOS;
 * - OrbStack: ~/.orbstack/run/docker.sock (macOS only);
 * - Rancher Desktop: ~/.rd/docker.sock (macOS, Linux), the docker_engine pipe on Windows;
 * - Colima: $COLIMA_HOME (default ~/.colima)/<profile>/docker.sock since
 *   v0.4.0, <home>/docker.sock before (abiosoft/colima docs/FAQ.md);
 * - Podman machine: $TMPDIR/podman/<machine>-api.sock (Podman 5, macOS),
 *   ~/.local/share/containers/podman/machine/podman.sock (Podman 4, macOS),
 *   npipe:////./pipe/podman-machine-default (Windows).
 */
import { describe, expect, it } from 'vitest';
import { candidateEndpoints, wellKnownSockets, type DiscoveryFacts } from './candidates.js';
import { connect } from './discover.js';
import { connectionTarget } from './docker-host.js';
import type { Endpoint, Engine } from './port.js';
import { fakeEngine } from '../../test/fakes.js';

const store = { configDir: '/cfg', readText: () => undefined, exists: () => false, listNames: () => [] };
const urls = (f: Parameters<typeof wellKnownSockets>[0]) => wellKnownSockets(f).map((e) => e.url);

describe('simulated: the well-known engines of each platform when nothing chose one', () => {
  it('Windows: the named pipes of Docker Desktop (both engines) and Podman machine; never a unix:// URL built from a Windows path', () => {
    const found = urls({
      platform: 'win32',
      home: 'C:\\Users\\me',
      env: { USERPROFILE: 'C:\\Users\\me', XDG_RUNTIME_DIR: 'C:\\tmp' },
      listDir: () => ['x'],
    });
    expect(found).toEqual([
      'npipe:////./pipe/docker_engine',
      'npipe:////./pipe/dockerDesktopLinuxEngine',
      'npipe:////./pipe/podman-machine-default',
    ]);
    // The client dials each as the pipe's text, as docker-modem and the docker CLI do.
    expect(found.map((u) => connectionTarget(u, false))).toEqual([
      { kind: 'socket', path: '//./pipe/docker_engine' },
      { kind: 'socket', path: '//./pipe/dockerDesktopLinuxEngine' },
      { kind: 'socket', path: '//./pipe/podman-machine-default' },
    ]);
  });

  it('macOS: Docker Desktop, OrbStack, Rancher Desktop, every Colima profile, Podman machine (5 and 4)', () => {
    const dirs: Record<string, string[]> = {
      '/Users/me/.colima': ['default', 'work', '_lima', '_templates'],
      '/var/folders/xy/T/podman': ['podman-machine-default-api.sock', 'dev-api.sock', 'podman-machine-default.sock'],
    };
    const found = urls({
      platform: 'darwin',
      home: '/Users/me',
      env: { TMPDIR: '/var/folders/xy/T/' },
      listDir: (d) => dirs[d.replace(/\/$/, '')] ?? [],
    });
    expect(found).toEqual([
      'unix:///var/run/docker.sock',
      'unix:///Users/me/.docker/run/docker.sock',
      'unix:///Users/me/.docker/desktop/docker.sock',
      'unix:///Users/me/.orbstack/run/docker.sock',
      'unix:///Users/me/.rd/docker.sock',
      'unix:///Users/me/.colima/default/docker.sock',
      'unix:///Users/me/.colima/work/docker.sock',
      'unix:///Users/me/.colima/docker.sock',
      'unix:///run/podman/podman.sock',
      'unix:///var/folders/xy/T/podman/podman-machine-default-api.sock',
      'unix:///var/folders/xy/T/podman/dev-api.sock',
      'unix:///Users/me/.local/share/containers/podman/machine/podman.sock',
    ]);
  });

  it("macOS: COLIMA_HOME moves Colima's sockets; without TMPDIR only Podman 4's place is tried", () => {
    const found = urls({ platform: 'darwin', home: '/Users/me', env: { COLIMA_HOME: '/opt/colima' } });
    expect(found).toContain('unix:///opt/colima/default/docker.sock');
    expect(found).not.toContain('unix:///Users/me/.colima/default/docker.sock');
    expect(found.filter((u) => u.includes('podman/machine') || u.includes('-api.sock'))).toEqual([
      'unix:///Users/me/.local/share/containers/podman/machine/podman.sock',
    ]);
  });

  it('Linux: no OrbStack and no Podman machine; rootless sockets only with XDG_RUNTIME_DIR', () => {
    const found = urls({ platform: 'linux', home: '/home/me', env: { XDG_RUNTIME_DIR: '/run/user/1000' } });
    expect(found.some((u) => u.includes('orbstack') || u.includes('podman/machine'))).toBe(false);
    expect(found).toContain('unix:///run/user/1000/docker.sock');
    expect(found).toContain('unix:///home/me/.rd/docker.sock');
  });
});

describe("simulated: the docker CLI's defaults on Windows", () => {
  const facts = (over: Partial<DiscoveryFacts>): DiscoveryFacts => ({ env: {}, home: 'C:\\Users\\me', store, platform: 'win32', ...over });
  it("DOCKER_HOST=npipe:////./pipe/docker_engine (Docker Desktop's) is the pipe, as text", () => {
    const [endpoint] = candidateEndpoints(facts({ env: { DOCKER_HOST: 'npipe:////./pipe/docker_engine' } })).endpoints;
    expect(connectionTarget(endpoint!.url, false)).toEqual({ kind: 'socket', path: '//./pipe/docker_engine' });
  });
  it('the "default" context and a blank DOCKER_HOST are the docker_engine pipe, not /var/run/docker.sock', () => {
    expect(candidateEndpoints(facts({ env: { DOCKER_CONTEXT: 'default' } })).endpoints[0]!.url).toBe('npipe:////./pipe/docker_engine');
    expect(candidateEndpoints(facts({ env: { DOCKER_HOST: ' ' } })).endpoints[0]!.url).toBe('npipe:////./pipe/docker_engine');
  });
  it('a port alone means 127.0.0.1 there (opts/hosts_windows.go), localhost elsewhere', () => {
    expect(candidateEndpoints(facts({ explicitHost: ':2375' })).endpoints[0]!.url).toBe('tcp://127.0.0.1:2375');
    expect(candidateEndpoints(facts({ explicitHost: ':2375', platform: 'linux' })).endpoints[0]!.url).toBe('tcp://localhost:2375');
  });
});

describe('simulated: when no engine answers, the error lists what was tried on that platform', () => {
  const refuse = (endpoint: Endpoint): Engine =>
    fakeEngine({
      endpoint,
      ping: async () => {
        throw Object.assign(new Error(`connect ENOENT ${endpoint.url}`), { code: 'ENOENT' });
      },
    });
  it.each([
    [
      'win32',
      'Windows',
      'C:\\Users\\me',
      [
        'npipe:////./pipe/docker_engine (from well-known socket: the default Docker named pipe (Docker Desktop, Rancher Desktop))',
        'npipe:////./pipe/podman-machine-default',
      ],
    ],
    [
      'darwin',
      'macOS',
      '/Users/me',
      [
        'unix:///Users/me/.orbstack/run/docker.sock (from well-known socket: OrbStack)',
        'unix:///Users/me/.rd/docker.sock (from well-known socket: Rancher Desktop)',
      ],
    ],
  ] as [NodeJS.Platform, string, string, string[]][])('%s', async (platform, name, home, lines) => {
    const error = (await connect({ facts: { env: {}, home, store, platform }, timeoutMs: 100 }, refuse).catch((e: unknown) => e)) as {
      message: string;
    };
    expect(error.message).toContain(`tried the well-known sockets of ${name}:`);
    for (const line of lines) expect(error.message).toContain(line);
    if (platform === 'win32') expect(error.message).not.toContain('unix://');
  });
});
