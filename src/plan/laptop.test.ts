import { describe, expect, it } from 'vitest';
import { bindRefusal, HOST_SERVICES_SSH_AUTH_SOCK, laptopProduct, sshAgentRoute, type ProductClues } from './laptop.js';

// Simulation: the /info values and socket paths each product is documented or reported to give; none of these products runs here.
describe('laptopProduct', () => {
  it.each<[string, ProductClues, ReturnType<typeof laptopProduct>]>([
    [
      'Docker Desktop (macOS)',
      { operatingSystem: 'Docker Desktop', name: 'docker-desktop', endpointUrl: 'unix:///Users/me/.docker/run/docker.sock' },
      'docker-desktop',
    ],
    [
      'Docker Desktop (Windows named pipe)',
      { operatingSystem: 'Docker Desktop', endpointUrl: 'npipe:////./pipe/dockerDesktopLinuxEngine' },
      'docker-desktop',
    ],
    [
      'Docker Desktop through /var/run/docker.sock (its symlink)',
      { operatingSystem: 'Docker Desktop', endpointUrl: 'unix:///var/run/docker.sock' },
      'docker-desktop',
    ],
    ['OrbStack', { operatingSystem: 'OrbStack', name: 'orbstack', endpointUrl: 'unix:///Users/me/.orbstack/run/docker.sock' }, 'orbstack'],
    ['OrbStack by its socket only', { operatingSystem: 'Ubuntu', endpointUrl: 'unix:///Users/me/.orbstack/run/docker.sock' }, 'orbstack'],
    [
      'Colima (default profile)',
      { operatingSystem: 'Ubuntu 24.04 LTS', name: 'colima', endpointUrl: 'unix:///Users/me/.colima/default/docker.sock' },
      'colima',
    ],
    [
      'Colima (profile work) through /var/run/docker.sock',
      { operatingSystem: 'Ubuntu 24.04 LTS', name: 'colima-work', endpointUrl: 'unix:///var/run/docker.sock' },
      'colima',
    ],
    [
      'Rancher Desktop (macOS)',
      { operatingSystem: 'Alpine Linux v3.20', name: 'lima-rancher-desktop', endpointUrl: 'unix:///Users/me/.rd/docker.sock' },
      'rancher-desktop',
    ],
    [
      'Rancher Desktop (Windows)',
      { operatingSystem: 'Rancher Desktop WSL Distribution', endpointUrl: 'npipe:////./pipe/docker_engine' },
      'rancher-desktop',
    ],
    [
      'Podman machine (macOS)',
      {
        product: 'podman',
        operatingSystem: 'fedora',
        endpointUrl: 'unix:///Users/me/.local/share/containers/podman/machine/podman-machine-default/podman.sock',
      },
      'podman-machine',
    ],
    ['Lima', { operatingSystem: 'Ubuntu', name: 'lima-docker', endpointUrl: 'unix:///Users/me/.lima/docker/sock/docker.sock' }, 'lima'],
    [
      'a Linux engine',
      { operatingSystem: 'Debian GNU/Linux 12 (bookworm)', name: 'build-01', endpointUrl: 'unix:///var/run/docker.sock' },
      undefined,
    ],
    ['a remote engine', { operatingSystem: 'Ubuntu 22.04', name: 'ci', endpointUrl: 'tcp://10.0.0.5:2376' }, undefined],
  ])('%s', (_what, clues, expected) => expect(laptopProduct(clues)).toBe(expected));
});

describe('sshAgentRoute', () => {
  const socket = '/private/tmp/com.apple.launchd.X/Listeners';
  it.each([
    ['Docker Desktop for Mac: its bridge', 'docker-desktop', 'darwin', 'bridge'],
    ['Docker Desktop for Linux: its bridge', 'docker-desktop', 'linux', 'bridge'],
    ['OrbStack: the same path as Docker Desktop', 'orbstack', 'darwin', 'bridge'],
    ['Docker Desktop for Windows: none', 'docker-desktop', 'win32', 'none'],
    ['Colima: none stable', 'colima', 'darwin', 'none'],
    ['Rancher Desktop: none', 'rancher-desktop', 'darwin', 'none'],
    ['Podman machine: none', 'podman-machine', 'darwin', 'none'],
    ['an unknown engine on macOS: in some VM', undefined, 'darwin', 'none'],
    ['a Linux engine on this machine: the host socket', undefined, 'linux', 'host-socket'],
  ] as const)('%s', (_what, product, platform, kind) => {
    const route = sshAgentRoute({ product, platform, socket });
    expect(route.kind).toBe(kind);
    if (route.kind === 'bridge') expect(route.socket).toBe(HOST_SERVICES_SSH_AUTH_SOCK);
    // Every refusal names werf's key variables as the way out.
    if (route.kind === 'none')
      expect(route.warning).toMatch(/is not forwarded: .+\. Fix: give werf a key file instead: WERF_SSH_KEY_<NAME>=/);
  });

  it('says why for Colima, naming its own flag', () => {
    const route = sshAgentRoute({ product: 'colima', platform: 'darwin', socket });
    expect(route.kind === 'none' && route.warning).toContain('colima start --ssh-agent');
  });
});

describe('bindRefusal', () => {
  const root = '/Volumes/work/app';
  it.each([
    [
      'Docker Desktop for Mac (current text)',
      'Error response from daemon: Mounts denied: \nThe path /Volumes/work/app is not shared from the host and is not known to Docker.\nYou can configure shared paths from Docker -> Preferences... -> Resources -> File Sharing.\nSee https://docs.docker.com/desktop/settings/mac/#file-sharing for more info.',
      undefined,
      /^Docker Desktop does not share \/Volumes\/work\/app/,
      /Settings > Resources > File sharing/,
    ],
    [
      'Docker Desktop with CRLF line ends (Windows)',
      'Error response from daemon: Mounts denied: \r\nThe path /Volumes/work/app is not shared from the host and is not known to Docker.\r\n',
      'docker-desktop',
      /^Docker Desktop does not share/,
      /File sharing/,
    ],
    [
      'older Docker for Mac',
      'Mounts denied: \nThe path /var/www\nis not shared from OS X and is not known to Docker.',
      undefined,
      /^Docker Desktop does not share/,
      /File sharing/,
    ],
    [
      'Docker for Windows (Hyper-V)',
      'Error response from daemon: Drive has not been shared',
      undefined,
      /^Docker Desktop does not share/,
      /File sharing/,
    ],
    [
      'Colima: not in its mounts',
      'invalid mount config for type "bind": bind source path does not exist: /Volumes/work/app',
      'colima',
      /^the engine's host has no \/Volumes\/work\/app$/,
      /colima start --edit/,
    ],
    [
      'Rancher Desktop',
      'invalid mount config for type "bind": bind source path does not exist: /Volumes/work/app',
      'rancher-desktop',
      /has no/,
      /override\.yaml/,
    ],
    ['Podman machine', 'statfs /Volumes/work/app: no such file or directory', 'podman-machine', /has no/, /podman machine init --volume/],
    [
      'a remote Linux engine',
      'invalid mount config for type "bind": bind source path does not exist: /Volumes/work/app',
      undefined,
      /has no/,
      undefined,
    ],
    [
      'a Linux engine given a Windows path',
      'invalid mount config for type "bind": invalid mount path: \'C:\\Users\\me\\app\' mount path must be absolute',
      undefined,
      /does not take this machine's Windows paths/,
      undefined,
    ],
  ])('%s', (_what, message, product, why, note) => {
    const refused = bindRefusal(message, root, product as never);
    expect(refused?.why).toMatch(why);
    if (note) expect(refused?.note).toMatch(note);
    else expect(refused?.note).toBeUndefined();
  });

  it('is undefined for other failures (they are not "the engine cannot see it")', () => {
    expect(bindRefusal('pull access denied for werf/werf', root)).toBeUndefined();
    expect(bindRefusal('Cannot connect to the Docker daemon', root)).toBeUndefined();
  });
});
