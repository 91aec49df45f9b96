import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/schema.js';
import { checkMountSources, checkProjectAccess, DESKTOP_SSH_AUTH_SOCK, dockerSocketToMount, forwardHostFiles, knownHostsFiles, SSH_AGENT_TARGET, useDesktopSshAgent, type FileFacts, type ForwardInput } from './host-files.js';

const file = (uid = 1000, mode = 0o600): FileFacts => ({ kind: 'file', uid, gid: uid, mode });
const dir = (uid: number, mode: number): FileFacts => ({ kind: 'dir', uid, gid: uid, mode });

function input(files: Record<string, FileFacts>, env: Record<string, string> = {}, over: Partial<ForwardInput> = {}): ForwardInput {
  return {
    env,
    hostHome: '/home/u',
    forward: defaultConfig().forward,
    image: { home: '/home/build', uid: 1000, gid: 1000 },
    probe: (p) => files[p],
    ...over,
  };
}

describe('forwardHostFiles', () => {
  it('forwards the ssh-agent socket, but never the docker config or kubeconfig (both are generated)', () => {
    const out = forwardHostFiles(
      input(
        { '/home/u/.docker/config.json': file(), '/home/u/.kube/config': file(), '/run/agent.sock': { kind: 'socket', uid: 1000, gid: 1000, mode: 0o600 } },
        { SSH_AUTH_SOCK: '/run/agent.sock' },
      ),
    );
    expect(out.readOnlyFiles).toEqual([{ source: '/run/agent.sock', target: SSH_AGENT_TARGET }]);
    expect(out.extraEnv).toEqual({ SSH_AUTH_SOCK: SSH_AGENT_TARGET });
    expect(out.warnings).toEqual([]);
  });

  it('forwards each WERF_SSH_KEY_* file read-only and points the variable at it; a missing one is dropped with a warning', () => {
    const out = forwardHostFiles(input({ '/keys/repo': file(1000, 0o600) }, { WERF_SSH_KEY_REPO: '/keys/repo', WERF_SSH_KEY_GONE: '/keys/gone' }));
    expect(out.readOnlyFiles).toContainEqual({ source: '/keys/repo', target: '/tmp/werf-run-ssh-keys/REPO' });
    expect(out.extraEnv.WERF_SSH_KEY_REPO).toBe('/tmp/werf-run-ssh-keys/REPO');
    expect(out.drop).toEqual(['WERF_SSH_KEY_GONE']);
    expect(out.warnings[0]).toContain('WERF_SSH_KEY_GONE names /keys/gone, which is not a file on this host');
  });

  it('warns when the image user cannot read a credential file, with the fix', () => {
    const out = forwardHostFiles(input({ '/k/id': file(0, 0o600) }, { WERF_SSH_KEY_A: '/k/id' }));
    expect(out.warnings[0]).toMatch(/\/k\/id \(mode 0600, owner uid 0\) cannot be read by uid 1000.*setfacl -m u:1000:r \/k\/id/);
  });

  it('forwards nothing that is switched off or absent', () => {
    const forward = { dockerConfig: false, kubeConfig: false, sshAgent: false };
    const out = forwardHostFiles(input({ '/home/u/.docker/config.json': file(), '/s': { kind: 'socket', uid: 0, gid: 0, mode: 0o600 } }, { SSH_AUTH_SOCK: '/s' }, { forward }));
    expect(out).toEqual({ readOnlyFiles: [], extraEnv: {}, drop: [], notes: [], warnings: [] });
    expect(forwardHostFiles(input({})).readOnlyFiles).toEqual([]);
  });
});

describe('checkProjectAccess', () => {
  const tree = (root: FileFacts): Record<string, FileFacts> => ({ '/': dir(0, 0o755), '/srv': dir(0, 0o755), '/srv/app': root });
  const probe = (t: Record<string, FileFacts>) => (p: string) => t[p];

  it('passes a world-readable checkout owned by another uid, and one owned by the image user', () => {
    expect(() => checkProjectAccess('/srv/app', { uid: 1000, gid: 1000 }, probe(tree(dir(0, 0o755))))).not.toThrow();
    expect(() => checkProjectAccess('/srv/app', { uid: 1000, gid: 1000 }, probe(tree(dir(1000, 0o700))))).not.toThrow();
  });

  it('stops on a 0700 checkout owned by root, naming the dir and the fix', () => {
    let error: unknown;
    try {
      checkProjectAccess('/srv/app', { uid: 1000, gid: 1000 }, probe(tree(dir(0, 0o700))));
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ exitCode: 125, message: expect.stringContaining('uid 1000, the werf image\'s user, cannot read and enter /srv/app (mode 0700, owner uid 0)') });
    expect((error as { remedy: string }).remedy).toContain('setfacl -m u:1000:rx /srv/app');
  });

  it('stops on a parent directory the image user cannot enter', () => {
    const t = { '/': dir(0, 0o755), '/root': dir(0, 0o700), '/root/app': dir(0, 0o755) };
    expect(() => checkProjectAccess('/root/app', { uid: 1000 }, probe(t))).toThrow(/cannot enter \/root \(mode 0700/);
  });

  it('checks nothing for an unknown user', () => {
    expect(() => checkProjectAccess('/srv/app', {}, probe(tree(dir(0, 0o700))))).not.toThrow();
  });
});

describe('dockerSocketToMount', () => {
  it('refuses an engine that is not on a local unix socket, naming it', () => {
    expect(() => dockerSocketToMount('tcp://10.0.0.5:2376')).toThrow(/mountDockerSocket is set but the engine is at tcp:\/\/10.0.0.5:2376/);
  });
  it('refuses a path that is not a socket', () => {
    expect(() => dockerSocketToMount('unix:///etc/hostname')).toThrow(/\/etc\/hostname is not a socket/);
  });
});

describe('checkMountSources', () => {
  it('names the entry, its value and the resolved path that is missing', () => {
    const exists = (f: string) => (f === '/srv/app/certs' ? file() : undefined);
    expect(() => checkMountSources([{ source: 'certs', target: '/c', readOnly: true }], '/srv/app', exists)).not.toThrow();
    expect(() => checkMountSources([{ source: 'certs', target: '/c', readOnly: true }, { source: '/nope', target: '/n', readOnly: true }], '/srv/app', exists)).toThrow(
      'mounts[1].source is "/nope", but /nope does not exist',
    );
  });
});

describe('ssh on Docker Desktop and known_hosts', () => {
  it("forwards Docker Desktop's agent bridge instead of the host's socket path", () => {
    const out = useDesktopSshAgent(forwardHostFiles(input({ '/tmp/agent': { kind: 'socket', uid: 501, gid: 20, mode: 0o600 } }, { SSH_AUTH_SOCK: '/tmp/agent' })));
    expect(out.readOnlyFiles).toEqual([{ source: DESKTOP_SSH_AUTH_SOCK, target: DESKTOP_SSH_AUTH_SOCK }]);
    expect(out.extraEnv.SSH_AUTH_SOCK).toBe('/run/host-services/ssh-auth.sock');
    expect(out.warnings).toEqual([]);
  });
  it('leaves a run without an agent alone', () => {
    const none = forwardHostFiles(input({}));
    expect(useDesktopSshAgent(none)).toBe(none);
  });
  it("hands in the user's known_hosts (image user's) and the system's (root's)", () => {
    const files: Record<string, string> = { '/home/u/.ssh/known_hosts': 'gitlab.example ssh-ed25519 AAAA\n', '/etc/ssh/ssh_known_hosts': 'github.com ssh-ed25519 BBBB\n' };
    const out = knownHostsFiles({ hostHome: '/home/u', home: '/home/build', read: (f) => (files[f] ? Buffer.from(files[f]!) : undefined) });
    expect(out.files.map((f) => [f.path, f.mode, f.uid, f.content.toString()])).toEqual([
      ['/home/build/.ssh/known_hosts', 0o644, undefined, files['/home/u/.ssh/known_hosts']],
      ['/etc/ssh/ssh_known_hosts', 0o644, 0, files['/etc/ssh/ssh_known_hosts']],
    ]);
    expect(knownHostsFiles({ hostHome: '/home/u', home: '/home/build', read: () => undefined }).files).toEqual([]);
  });
});
