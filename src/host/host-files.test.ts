import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/schema.js';
import {
  checkMountSources,
  DESKTOP_SSH_AUTH_SOCK,
  dockerSocketToMount,
  forwardHostFiles,
  knownHostsFiles,
  SSH_AGENT_TARGET,
  type FileFacts,
  type ForwardInput,
} from './host-files.js';

const file = (uid = 1000, mode = 0o600): FileFacts => ({ kind: 'file', uid, gid: uid, mode });

function input(files: Record<string, FileFacts>, env: Record<string, string> = {}, over: Partial<ForwardInput> = {}): ForwardInput {
  return {
    env,
    hostHome: '/home/u',
    forward: defaultConfig().forward,
    image: { home: '/home/build', uid: 1000, gid: 1000 },
    probe: (p) => files[p],
    readBytes: (p) => Buffer.from(`content of ${p}`),
    engineLocal: true,
    engineUrl: 'unix:///var/run/docker.sock',
    ...over,
  };
}

const agent: FileFacts = { kind: 'socket', uid: 1000, gid: 1000, mode: 0o600 };

describe('forwardHostFiles', () => {
  it('mounts the ssh-agent socket, but copies neither the docker config nor the kubeconfig as they are (both are generated)', () => {
    const out = forwardHostFiles(
      input(
        { '/home/u/.docker/config.json': file(), '/home/u/.kube/config': file(), '/run/agent.sock': agent },
        { SSH_AUTH_SOCK: '/run/agent.sock' },
      ),
    );
    expect(out.files).toEqual([]);
    expect(out.sockets).toEqual([{ source: '/run/agent.sock', target: SSH_AGENT_TARGET }]);
    expect(out.extraEnv).toEqual({ SSH_AUTH_SOCK: SSH_AGENT_TARGET });
    expect(out.warnings).toEqual([]);
  });

  it('copies each WERF_SSH_KEY_* file in as a 0600 secret and points the variable at it; a missing one is dropped with a warning', () => {
    const out = forwardHostFiles(
      input({ '/keys/repo': file(0, 0o600) }, { WERF_SSH_KEY_REPO: '/keys/repo', WERF_SSH_KEY_GONE: '/keys/gone' }),
    );
    expect(out.files).toEqual([
      { path: '/tmp/werf-run-ssh-keys/REPO', content: Buffer.from('content of /keys/repo'), mode: 0o600, secret: true },
    ]);
    expect(out.extraEnv.WERF_SSH_KEY_REPO).toBe('/tmp/werf-run-ssh-keys/REPO');
    expect(out.drop).toEqual(['WERF_SSH_KEY_GONE']);
    expect(out.warnings[0]).toContain('WERF_SSH_KEY_GONE names /keys/gone, which is not a file on this host');
  });

  it('says so when werf-run cannot read a key file', () => {
    const denied = forwardHostFiles(
      input(
        { '/k/id': file(0, 0o600) },
        { WERF_SSH_KEY_A: '/k/id' },
        {
          readBytes: () => {
            throw new Error('EACCES: permission denied');
          },
        },
      ),
    );
    expect(denied.files).toEqual([]);
    expect(denied.drop).toEqual(['WERF_SSH_KEY_A']);
    expect(denied.warnings[0]).toMatch(/cannot read \/k\/id: EACCES: permission denied: werf will not have that key/);
  });

  it('on a remote engine: files are still copied, the agent is not forwarded and the warning says what to do', () => {
    const out = forwardHostFiles(
      input(
        { '/k/id': file(), '/run/agent.sock': agent },
        { SSH_AUTH_SOCK: '/run/agent.sock', WERF_SSH_KEY_ID: '/k/id' },
        { engineLocal: false, engineUrl: 'tcp://10.0.0.5:2376' },
      ),
    );
    expect(out.files.map((f) => f.path)).toEqual(['/tmp/werf-run-ssh-keys/ID']);
    expect(out.sockets).toEqual([]);
    expect(out.extraEnv.SSH_AUTH_SOCK).toBeUndefined();
    expect(out.warnings).toEqual([
      expect.stringContaining(
        "the ssh-agent (SSH_AUTH_SOCK=/run/agent.sock) is not forwarded: it is a socket on this machine and the engine at tcp://10.0.0.5:2376 runs on another host. Fix: run werf-run on the engine's host",
      ),
    ]);
  });

  it('warns when the image user cannot use the agent socket, with the fix', () => {
    const out = forwardHostFiles(input({ '/run/agent.sock': { ...agent, uid: 0, gid: 0 } }, { SSH_AUTH_SOCK: '/run/agent.sock' }));
    expect(out.warnings[0]).toMatch(
      /agent\.sock \(mode 0600, owner uid 0\) cannot be written by uid 1000.*setfacl -m u:1000:rw \/run\/agent\.sock/,
    );
  });

  it('forwards nothing that is switched off or absent', () => {
    const forward = { dockerConfig: false, kubeConfig: false, sshAgent: false, hostCertificates: false };
    const out = forwardHostFiles(
      input(
        { '/home/u/.docker/config.json': file(), '/s': { kind: 'socket', uid: 0, gid: 0, mode: 0o600 } },
        { SSH_AUTH_SOCK: '/s' },
        { forward },
      ),
    );
    expect(out).toEqual({ files: [], sockets: [], extraEnv: {}, drop: [], notes: [], warnings: [] });
    expect(forwardHostFiles(input({})).files).toEqual([]);
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
    expect(() =>
      checkMountSources(
        [
          { source: 'certs', target: '/c', readOnly: true },
          { source: '/nope', target: '/n', readOnly: true },
        ],
        '/srv/app',
        exists,
      ),
    ).toThrow('mounts[1].source is "/nope", but /nope does not exist');
  });
});

describe('ssh on Docker Desktop and known_hosts', () => {
  it("forwards Docker Desktop's agent bridge instead of the host's socket path", () => {
    // The host's socket is the user's own (uid 501): the image user could not write it, but Desktop's bridge is another socket.
    const out = forwardHostFiles(
      input(
        { '/tmp/agent': { kind: 'socket', uid: 501, gid: 20, mode: 0o600 } },
        { SSH_AUTH_SOCK: '/tmp/agent' },
        { product: 'docker-desktop' },
      ),
    );
    expect(out.sockets).toEqual([{ source: DESKTOP_SSH_AUTH_SOCK, target: DESKTOP_SSH_AUTH_SOCK }]);
    expect(out.extraEnv.SSH_AUTH_SOCK).toBe('/run/host-services/ssh-auth.sock');
    expect(out.warnings).toEqual([]);
    const elsewhere = forwardHostFiles(
      input({ '/tmp/agent': { kind: 'socket', uid: 501, gid: 20, mode: 0o600 } }, { SSH_AUTH_SOCK: '/tmp/agent' }),
    );
    expect(elsewhere.sockets).toEqual([{ source: '/tmp/agent', target: SSH_AGENT_TARGET }]);
    expect(elsewhere.warnings).toHaveLength(1);
  });
  it("a remote Docker Desktop (ssh://) gets no agent: its bridge would be another machine's user's", () => {
    const remote = forwardHostFiles(
      input(
        { '/tmp/agent': { kind: 'socket', uid: 501, gid: 20, mode: 0o600 } },
        { SSH_AUTH_SOCK: '/tmp/agent' },
        { product: 'docker-desktop', engineLocal: false, engineUrl: 'ssh://mac' },
      ),
    );
    expect(remote.sockets).toEqual([]);
    expect(remote.warnings.join('\n')).toContain('the engine at ssh://mac runs on another host');
  });
  it.each([
    [
      'OrbStack: the same bridge path',
      { product: 'orbstack' as const, platform: 'darwin' },
      [{ source: DESKTOP_SSH_AUTH_SOCK, target: DESKTOP_SSH_AUTH_SOCK }],
      undefined,
    ],
    [
      'Colima: none stable, a warning naming WERF_SSH_KEY_*',
      { product: 'colima' as const, platform: 'darwin' },
      [],
      /not forwarded: Colima forwards the agent .*WERF_SSH_KEY_<NAME>=/,
    ],
    [
      'Docker Desktop for Windows: no bridge',
      { product: 'docker-desktop' as const, platform: 'win32' },
      [],
      /Docker Desktop for Windows has no ssh-agent bridge/,
    ],
    [
      'an unknown engine on macOS: in some VM',
      { platform: 'darwin' },
      [],
      /the engine runs in a VM, which cannot reach a socket on this macOS machine/,
    ],
  ])('%s', (_what, over, sockets, warning) => {
    const out = forwardHostFiles(input({ '/tmp/agent': agent }, { SSH_AUTH_SOCK: '/tmp/agent' }, over));
    expect(out.sockets).toEqual(sockets);
    if (warning) expect(out.warnings).toEqual([expect.stringMatching(warning)]);
    else expect(out.warnings).toEqual([]);
    expect(out.extraEnv.SSH_AUTH_SOCK).toBe(sockets[0]?.target);
  });
  it('forwards no agent on Docker Desktop without SSH_AUTH_SOCK', () => {
    expect(forwardHostFiles(input({}, {}, { product: 'docker-desktop' })).sockets).toEqual([]);
  });
  it("hands in the user's known_hosts (image user's) and the system's (root's)", () => {
    // The host's path as this platform joins it (the container's stays POSIX).
    const userKnownHosts = path.join('/home/u', '.ssh', 'known_hosts');
    const files: Record<string, string> = {
      [userKnownHosts]: 'gitlab.example ssh-ed25519 AAAA\n',
      '/etc/ssh/ssh_known_hosts': 'github.com ssh-ed25519 BBBB\n',
    };
    const out = knownHostsFiles({ hostHome: '/home/u', home: '/home/build', read: (f) => (files[f] ? Buffer.from(files[f]!) : undefined) });
    expect(out.files.map((f) => [f.path, f.mode, f.uid, f.content.toString()])).toEqual([
      ['/home/build/.ssh/known_hosts', 0o644, undefined, files[userKnownHosts]],
      ['/etc/ssh/ssh_known_hosts', 0o644, 0, files['/etc/ssh/ssh_known_hosts']],
    ]);
    expect(knownHostsFiles({ hostHome: '/home/u', home: '/home/build', read: () => undefined }).files).toEqual([]);
  });
  it('an unreadable known_hosts is a warning naming it and the fix, not a stopped run (nobody asked for it by name)', () => {
    const out = knownHostsFiles({
      hostHome: '/home/u',
      home: '/home/build',
      read: (f) => {
        if (f === '/etc/ssh/ssh_known_hosts') throw new Error(`EACCES: permission denied, open '${f}'`);
        return Buffer.from('gitlab.example ssh-ed25519 AAAA\n');
      },
    });
    expect(out.files.map((f) => f.path)).toEqual(['/home/build/.ssh/known_hosts']);
    expect(out.warnings).toEqual([
      "ssh: /etc/ssh/ssh_known_hosts not handed in: EACCES: permission denied, open '/etc/ssh/ssh_known_hosts'; git over ssh may then fail host key verification (fix: make it readable by this user)",
    ]);
  });
});
