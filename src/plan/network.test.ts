import { describe, expect, it } from 'vitest';
import {
  decideNetwork,
  loopbackHost,
  loopbackTargetsInWerfArgs,
  networkEngine,
  type LoopbackTarget,
  type NetworkEngine,
} from './network.js';

const IMAGE = 'ghcr.io/werf/werf:2-stable-alpine';

describe('loopbackHost', () => {
  it.each([
    ['127.0.0.1:5000', '127.0.0.1:5000'],
    ['127.1.2.3', '127.1.2.3'],
    ['localhost:5000', 'localhost:5000'],
    ['LOCALHOST', 'LOCALHOST'],
    ['registry.localhost:5000', 'registry.localhost:5000'],
    ['[::1]:5000', '[::1]:5000'],
    ['https://127.0.0.1:6443', '127.0.0.1:6443'],
  ])('%s is loopback (%s)', (address, host) => {
    expect(loopbackHost(address)).toBe(host);
  });

  it.each(['10.0.2.2:5000', 'registry.example', 'localhostx:5000', '128.0.0.1', 'host.docker.internal:5000', '[::2]:5000'])(
    '%s is not',
    (address) => {
      expect(loopbackHost(address)).toBeUndefined();
    },
  );
});

describe('loopbackTargetsInWerfArgs', () => {
  it('finds --repo in both forms, the other repo flags, and stops at --', () => {
    const targets = loopbackTargetsInWerfArgs(
      [
        'build',
        '--repo',
        '127.0.0.1:5000/app',
        '--final-repo=localhost:5001/final',
        '--cache-repo',
        'registry.example/c',
        '--',
        '--repo',
        '127.0.0.1:1/x',
      ],
      {},
      IMAGE,
    );
    expect(targets).toEqual([
      { what: '--repo 127.0.0.1:5000/app', host: '127.0.0.1:5000' },
      { what: '--final-repo localhost:5001/final', host: 'localhost:5001' },
    ]);
  });

  it('reads WERF_REPO and the prefixed repo variables, and the werf image', () => {
    const targets = loopbackTargetsInWerfArgs(
      ['build'],
      { WERF_REPO: '[::1]:5000/app', WERF_SECONDARY_REPO_1: '127.0.0.1:5002/s', WERF_REPO_X: '127.0.0.1:9/no', HOME: '/h' },
      '127.0.0.1:5000/werf/werf:2',
    );
    expect(targets.map((t) => t.what)).toEqual([
      'WERF_REPO=[::1]:5000/app',
      'WERF_SECONDARY_REPO_1=127.0.0.1:5002/s',
      'the werf image 127.0.0.1:5000/werf/werf:2',
    ]);
    // Exports leave the image out (the runner pulls it there).
    expect(loopbackTargetsInWerfArgs(['build'], { WERF_REPO: '[::1]:5000/app' }, undefined).map((t) => t.what)).toEqual([
      'WERF_REPO=[::1]:5000/app',
    ]);
  });

  it('a single-component repository names no registry (Docker Hub), and a registry elsewhere is no target', () => {
    expect(loopbackTargetsInWerfArgs(['build', '--repo', 'localhostapp'], {}, IMAGE)).toEqual([]);
    expect(loopbackTargetsInWerfArgs(['build', '--repo', 'registry.example:5000/app'], { WERF_REPO: 'ghcr.io/x/y' }, IMAGE)).toEqual([]);
  });
});

const LOCAL: NetworkEngine = { local: true, rootless: false, linux: true };
const REPO: LoopbackTarget[] = [{ what: '--repo 127.0.0.1:5000/app', host: '127.0.0.1:5000' }];

describe('decideNetwork', () => {
  it('no loopback target: the configured network or the engine default, nothing said', () => {
    expect(decideNetwork({ engine: LOCAL, targets: [] })).toEqual({ networkMode: undefined, notes: [], warnings: [] });
    expect(decideNetwork({ configured: 'bridge', engine: LOCAL, targets: [] })).toEqual({ networkMode: 'bridge', notes: [], warnings: [] });
  });

  it('local Linux engine, nothing configured: host network with a note naming the target', () => {
    const decision = decideNetwork({ engine: LOCAL, targets: REPO });
    expect(decision.networkMode).toBe('host');
    expect(decision.warnings).toEqual([]);
    expect(decision.notes).toEqual([expect.stringContaining('--repo 127.0.0.1:5000/app (127.0.0.1:5000)')]);
  });

  it("rootless Podman shares the machine's network: host with a note too", () => {
    const decision = decideNetwork({ engine: { ...LOCAL, rootless: true, product: 'podman' }, targets: REPO });
    expect(decision).toMatchObject({ networkMode: 'host', warnings: [] });
    expect(decision.notes).toHaveLength(1);
  });

  it("rootless Docker: host (rootlesskit's namespace) with a warning saying what works", () => {
    const decision = decideNetwork({ engine: { ...LOCAL, rootless: true, product: 'docker' }, targets: REPO });
    expect(decision.networkMode).toBe('host');
    expect(decision.warnings).toHaveLength(1);
    expect(decision.warnings[0]).toMatch(/rootlesskit's namespace/);
    expect(decision.warnings[0]).toMatch(/non-loopback address/);
    expect(decision.warnings[0]).toMatch(/DOCKERD_ROOTLESS_ROOTLESSKIT_DISABLE_HOST_LOOPBACK=false/);
  });

  it('remote or Docker Desktop engine: the default network and a warning with the fix', () => {
    for (const engine of [
      { local: false, rootless: false, linux: true },
      { local: true, rootless: false, linux: false },
    ]) {
      const decision = decideNetwork({ engine, targets: REPO });
      expect(decision.networkMode).toBeUndefined();
      expect(decision.warnings[0]).toMatch(/127\.0\.0\.1:5000.*not this machine.*host\.docker\.internal/);
    }
  });

  it('a configured network is kept, with a warning when it cannot reach the targets', () => {
    const bridge = decideNetwork({ configured: 'bridge', engine: LOCAL, targets: REPO });
    expect(bridge.networkMode).toBe('bridge');
    expect(bridge.warnings[0]).toMatch(/network "bridge".*--network host/);
    expect(decideNetwork({ configured: 'host', engine: LOCAL, targets: REPO })).toEqual({ networkMode: 'host', notes: [], warnings: [] });
    const rootless = decideNetwork({ configured: 'host', engine: { ...LOCAL, rootless: true }, targets: REPO });
    expect(rootless.networkMode).toBe('host');
    expect(rootless.warnings[0]).toMatch(/rootlesskit's namespace/);
  });
});

describe('networkEngine', () => {
  const base = {
    operatingSystem: 'Debian GNU/Linux 12 (bookworm)',
    platform: 'linux' as const,
    rootless: false,
    product: 'docker' as const,
  };
  it('unix sockets and tcp to the loopback are local; ssh and other tcp hosts are not', () => {
    expect(networkEngine({ ...base, endpointUrl: 'unix:///var/run/docker.sock' })).toEqual({
      local: true,
      rootless: false,
      linux: true,
      product: 'docker',
    });
    expect(networkEngine({ ...base, endpointUrl: 'tcp://127.0.0.1:2375' }).local).toBe(true);
    expect(networkEngine({ ...base, endpointUrl: 'tcp://build.example:2376' }).local).toBe(false);
    expect(networkEngine({ ...base, endpointUrl: 'ssh://u@127.0.0.1' }).local).toBe(false);
  });
  it("Docker Desktop and non-Linux clients do not share the machine's network", () => {
    expect(networkEngine({ ...base, endpointUrl: 'unix:///x.sock', operatingSystem: 'Docker Desktop' }).linux).toBe(false);
    expect(networkEngine({ ...base, endpointUrl: 'unix:///x.sock', platform: 'darwin' }).linux).toBe(false);
  });
});
