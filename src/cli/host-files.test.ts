import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/schema.js';
import { checkMountSources, dockerSocketToMount, forwardHostFiles, SSH_AGENT_TARGET, type FileFacts, type ForwardInput } from './host-files.js';

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
  it('copies ~/.docker/config.json and ~/.kube/config in as 0600 secrets and mounts the ssh-agent socket', () => {
    const out = forwardHostFiles(input({ '/home/u/.docker/config.json': file(), '/home/u/.kube/config': file(), '/run/agent.sock': agent }, { SSH_AUTH_SOCK: '/run/agent.sock' }));
    expect(out.files).toEqual([
      { path: '/home/build/.docker/config.json', content: Buffer.from('content of /home/u/.docker/config.json'), mode: 0o600, secret: true },
      { path: '/home/build/.kube/config', content: Buffer.from('content of /home/u/.kube/config'), mode: 0o600, secret: true },
    ]);
    expect(out.sockets).toEqual([{ source: '/run/agent.sock', target: SSH_AGENT_TARGET }]);
    expect(out.extraEnv).toEqual({ KUBECONFIG: '/home/build/.kube/config', SSH_AUTH_SOCK: SSH_AGENT_TARGET });
    expect(out.warnings).toEqual([]);
  });

  it('follows WERF_DOCKER_CONFIG over DOCKER_CONFIG and points both at the copy', () => {
    const out = forwardHostFiles(input({ '/w/config.json': file(), '/d/config.json': file() }, { WERF_DOCKER_CONFIG: '/w', DOCKER_CONFIG: '/d' }));
    expect(out.files[0]).toMatchObject({ path: '/home/build/.docker/config.json', content: Buffer.from('content of /w/config.json') });
    expect(out.extraEnv).toMatchObject({ WERF_DOCKER_CONFIG: '/home/build/.docker', DOCKER_CONFIG: '/home/build/.docker' });
  });

  it('copies each existing file of a KUBECONFIG list and rebuilds the list inside', () => {
    const out = forwardHostFiles(input({ '/k/a': file(), '/k/c': file() }, { KUBECONFIG: '/k/a:/k/missing:/k/c' }));
    expect(out.files.map((f) => f.path)).toEqual(['/home/build/.kube/config', '/home/build/.kube/config-2']);
    expect(out.extraEnv.KUBECONFIG).toBe('/home/build/.kube/config:/home/build/.kube/config-2');
    expect(out.notes).toContain('kubeconfig: no /k/missing; not copied');
  });

  it('needs no access for the image user to a credential file (it is copied), but says so when werf-run cannot read it', () => {
    expect(forwardHostFiles(input({ '/home/u/.docker/config.json': file(0, 0o600) })).warnings).toEqual([]);
    const denied = forwardHostFiles(
      input({ '/home/u/.docker/config.json': file(0, 0o600) }, {}, { readBytes: () => { throw new Error('EACCES: permission denied'); } }),
    );
    expect(denied.files).toEqual([]);
    expect(denied.warnings[0]).toMatch(/cannot read \/home\/u\/\.docker\/config\.json: EACCES: permission denied: werf will have no registry credentials/);
  });

  it('warns about credential helpers, which do not exist in the image', () => {
    const out = forwardHostFiles(input({ '/home/u/.docker/config.json': file() }, {}, { readBytes: () => Buffer.from('{"credsStore": "desktop"}') }));
    expect(out.warnings[0]).toMatch(/credential helper/);
  });

  it('on a remote engine: files are still copied, the agent is not forwarded and the warning says what to do', () => {
    const out = forwardHostFiles(
      input({ '/home/u/.docker/config.json': file(), '/run/agent.sock': agent }, { SSH_AUTH_SOCK: '/run/agent.sock' }, { engineLocal: false, engineUrl: 'tcp://10.0.0.5:2376' }),
    );
    expect(out.files.map((f) => f.path)).toEqual(['/home/build/.docker/config.json']);
    expect(out.sockets).toEqual([]);
    expect(out.extraEnv.SSH_AUTH_SOCK).toBeUndefined();
    expect(out.warnings).toEqual([expect.stringContaining('the ssh-agent (SSH_AUTH_SOCK=/run/agent.sock) is not forwarded: it is a socket on this machine and the engine at tcp://10.0.0.5:2376 runs on another host. Fix: run werf-run on the engine\'s host')]);
  });

  it('warns when the image user cannot use the agent socket, with the fix', () => {
    const out = forwardHostFiles(input({ '/run/agent.sock': { ...agent, uid: 0, gid: 0 } }, { SSH_AUTH_SOCK: '/run/agent.sock' }));
    expect(out.warnings[0]).toMatch(/agent\.sock \(mode 0600, owner uid 0\) cannot be written by uid 1000.*setfacl -m u:1000:rw \/run\/agent\.sock/);
  });

  it('forwards nothing that is switched off or absent', () => {
    const forward = { dockerConfig: false, kubeConfig: false, sshAgent: false };
    const out = forwardHostFiles(input({ '/home/u/.docker/config.json': file(), '/s': { kind: 'socket', uid: 0, gid: 0, mode: 0o600 } }, { SSH_AUTH_SOCK: '/s' }, { forward }));
    expect(out).toEqual({ files: [], sockets: [], extraEnv: {}, notes: [], warnings: [] });
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
    expect(() => checkMountSources([{ source: 'certs', target: '/c', readOnly: true }, { source: '/nope', target: '/n', readOnly: true }], '/srv/app', exists)).toThrow(
      'mounts[1].source is "/nope", but /nope does not exist',
    );
  });
});
