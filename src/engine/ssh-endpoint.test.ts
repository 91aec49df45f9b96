import { describe, expect, it } from 'vitest';
import {
  classifySshFailure,
  clientMissingError,
  knownHostsName,
  parseSshUrl,
  remoteError,
  sshCommand,
  sshDialArgs,
  sshMasterArgs,
  type SshFailureContext,
} from './ssh-endpoint.js';

/**
 * What OpenSSH 9.2p1 (Debian 12) wrote to stderr, recorded against a real sshd
 * on 127.0.0.1:2299 (and a TCP server answering HTTP on 2297): ssh exits 255 on
 * its own failures, with the remote command's status otherwise.
 */
const RECORDED = {
  unknownAsk: 'Host key verification failed.\n',
  unknownStrict:
    'No ED25519 host key is known for [127.0.0.1]:2299 and you have requested strict checking.\nHost key verification failed.\n',
  changed: [
    '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
    '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
    '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
    'IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!',
    'Someone could be eavesdropping on you right now (man-in-the-middle attack)!',
    'It is also possible that a host key has just been changed.',
    'The fingerprint for the ED25519 key sent by the remote host is',
    'SHA256:t+uPCCpfAKZ7J0b0vi84uNkbWvoIx7rT4lTXKP1R1Sg.',
    'Please contact your system administrator.',
    'Add correct host key in /tmp/sshx/kh_changed to get rid of this message.',
    'Offending ED25519 key in /tmp/sshx/kh_changed:1',
    '  remove with:',
    '  ssh-keygen -f "/tmp/sshx/kh_changed" -R "[127.0.0.1]:2299"',
    'Host key for [127.0.0.1]:2299 has changed and you have requested strict checking.',
    'Host key verification failed.',
    '',
  ].join('\n'),
  revoked: [
    '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
    '@       WARNING: REVOKED HOST KEY DETECTED!               @',
    '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
    'The ED25519 host key for [127.0.0.1]:2299 is marked as revoked.',
    'This could mean that a stolen key is being used to',
    'impersonate this host.',
    'ED25519 host key for [127.0.0.1]:2299 was revoked and you have requested strict checking.',
    'Host key verification failed.',
    '',
  ].join('\n'),
  auth: 'root@127.0.0.1: Permission denied (publickey).\n',
  refused: 'ssh: connect to host 127.0.0.1 port 2298: Connection refused\n',
  unresolved: 'ssh: Could not resolve hostname no-such-host.invalid: Name or service not known\n',
  notSsh: 'kex_exchange_identification: Connection closed by remote host\nConnection closed by 127.0.0.1 port 2297\n',
  noDocker: 'bash: docker: command not found\n',
  noEngine: 'failed to open the raw stream connection: dial unix /tmp/nope.sock: connect: no such file or directory\n',
};

describe('parseSshUrl', () => {
  it('reads user, host and port like the docker CLI; what the URL leaves out is left to ssh_config', () => {
    expect(parseSshUrl('ssh://deploy@build.example:2222')).toEqual({ host: 'build.example', port: 2222, username: 'deploy' });
    expect(parseSshUrl('ssh://build.example')).toEqual({ host: 'build.example' });
    expect(parseSshUrl('ssh://root@[::1]:22')).toEqual({ host: '::1', port: 22, username: 'root' });
  });

  it('refuses what the docker CLI refuses: a password, a query (exit 2)', () => {
    expect(() => parseSshUrl('ssh://u:secret@h')).toThrow(
      expect.objectContaining({ exitCode: 2, message: expect.stringContaining('a password') }),
    );
    expect(() => parseSshUrl('ssh://u@h?x=1')).toThrow(/query/);
  });

  it("takes a path as the remote engine's socket, as the docker CLI does since v24 (cli/connhelper/connhelper.go)", () => {
    expect(parseSshUrl('ssh://u@h/run/user/1000/podman/podman.sock')).toEqual({
      host: 'h',
      username: 'u',
      socketPath: '/run/user/1000/podman/podman.sock',
    });
    expect(parseSshUrl('ssh://h/')).toEqual({ host: 'h' });
    expect(parseSshUrl('ssh://h//')).toEqual({ host: 'h' });
  });
});

describe('the ssh command lines', () => {
  it('are the docker CLI connhelper ones: ConnectTimeout, -T, -l/-p only when given, `--` before the host', () => {
    expect(sshDialArgs({ host: 'h', port: 2222, username: 'ci' }, undefined)).toEqual([
      '-o',
      'ConnectTimeout=30',
      '-T',
      '-l',
      'ci',
      '-p',
      '2222',
      '--',
      'h',
      'docker system dial-stdio',
    ]);
    expect(sshDialArgs({ host: '-oProxyCommand=x' }, undefined)).toEqual([
      '-o',
      'ConnectTimeout=30',
      '-T',
      '--',
      '-oProxyCommand=x',
      'docker system dial-stdio',
    ]);
  });

  it('one master per run holds the connection; each dial is a session over its control socket', () => {
    expect(sshMasterArgs({ host: 'h' }, '/tmp/x/c')).toEqual([
      '-o',
      'ConnectTimeout=30',
      '-T',
      '-M',
      '-S',
      '/tmp/x/c',
      '-o',
      'ControlPersist=no',
      '-N',
      '--',
      'h',
    ]);
    expect(sshDialArgs({ host: 'h' }, '/tmp/x/c')).toEqual([
      '-o',
      'ConnectTimeout=30',
      '-T',
      '-S',
      '/tmp/x/c',
      '-o',
      'ControlMaster=no',
      '--',
      'h',
      'docker system dial-stdio',
    ]);
  });

  it('names the host as ssh does, and the command that checks the same connection', () => {
    expect(knownHostsName('h', undefined)).toBe('h');
    expect(knownHostsName('h', 22)).toBe('h');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
    expect(sshCommand({ host: 'h', port: 2222, username: 'ci' }, 'docker version')).toBe('ssh -p 2222 ci@h docker version');
    expect(sshCommand({ host: 'h' }, 'docker version')).toBe('ssh h docker version');
  });
});

describe("ssh's failures, from its exit status and stderr", () => {
  const target = { host: '127.0.0.1', port: 2299, username: 'root' };
  const noAgent: SshFailureContext = { agentSocket: undefined };
  const classify = (stderr: string, code: number | null = 255, context = noAgent) => classifySshFailure(target, code, stderr, context);

  it.each([
    [
      'unknownAsk',
      'SSH_HOSTKEY_UNKNOWN',
      'the ssh host key of [127.0.0.1]:2299 is not in known_hosts and ssh could not ask about it (Host key verification failed)',
    ],
    [
      'unknownStrict',
      'SSH_HOSTKEY_UNKNOWN',
      'the ssh host key of [127.0.0.1]:2299 (ED25519) is not in known_hosts and ssh could not ask about it (Host key verification failed)',
    ],
    [
      'changed',
      'SSH_HOSTKEY_CHANGED',
      'the ssh host key of [127.0.0.1]:2299 (ED25519) differs from the one in /tmp/sshx/kh_changed: the host was reinstalled, or someone is intercepting the connection',
    ],
    ['revoked', 'SSH_HOSTKEY_REVOKED', 'the ssh host key of [127.0.0.1]:2299 (ED25519) is marked @revoked in known_hosts; ssh refused it'],
    [
      'auth',
      'SSH_AUTH',
      'ssh authentication as root on [127.0.0.1]:2299 failed (root@127.0.0.1: Permission denied (publickey).); ssh offered only the key files of your ssh config (SSH_AUTH_SOCK is not set: no agent)',
    ],
    [
      'refused',
      'SSH_UNREACHABLE',
      'cannot reach the ssh server at [127.0.0.1]:2299: connection refused (ECONNREFUSED): no ssh server listens there',
    ],
    [
      'unresolved',
      'SSH_UNREACHABLE',
      'cannot reach the ssh server at [127.0.0.1]:2299: the host name does not resolve (Name or service not known)',
    ],
    [
      'notSsh',
      'SSH_PROTOCOL',
      'the ssh handshake with [127.0.0.1]:2299 failed: kex_exchange_identification: Connection closed by remote host Connection closed by 127.0.0.1 port 2297',
    ],
  ] as const)('%s: %s', (fixture, code, message) => {
    const e = classify(RECORDED[fixture]);
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
    expect(e.remedy).not.toBe('');
  });

  it('each fix says what to do, with the ssh command that checks it', () => {
    expect(classify(RECORDED.unknownAsk).remedy).toBe(
      'connect once with your ssh, check the fingerprint it shows and accept it: ssh -p 2299 root@127.0.0.1 docker version',
    );
    expect(classify(RECORDED.changed).remedy).toContain("ssh-keygen -R '[127.0.0.1]:2299'");
    expect(classify(RECORDED.auth).remedy).toContain('ssh-add');
    expect(classify(RECORDED.refused).remedy).toContain('that sshd runs there (ssh -p 2299 root@127.0.0.1 docker version)');
    expect(classify(RECORDED.notSsh).remedy).toBe('check that it is an ssh server (ssh -p 2299 root@127.0.0.1 docker version)');
  });

  it('names the agent it had when authentication fails', () => {
    expect(classify(RECORDED.auth, 255, { agentSocket: '/tmp/agent.sock' }).message).toContain(
      'ssh offered the keys of the ssh agent at SSH_AUTH_SOCK=/tmp/agent.sock',
    );
  });

  it('any other status is the remote command: no docker CLI, or no engine, each with its fix', () => {
    const missing = classify(RECORDED.noDocker, 127);
    expect(missing.code).toBe('SSH_REMOTE');
    expect(missing.message).toBe('on 127.0.0.1, `docker system dial-stdio` failed (exit 127): bash: docker: command not found');
    expect(missing.remedy).toMatch(/^install the docker CLI on 127.0.0.1/);
    const down = classify(RECORDED.noEngine, 1);
    expect(down.message).toContain('(exit 1): failed to open the raw stream connection');
    expect(down.remedy).toMatch(/^start the Docker Engine on 127.0.0.1, or let root use it/);
    expect(remoteError({ host: 'h' }, 1, '').remedy).toContain('let the ssh user use it');
  });

  it('an unknown failure keeps what ssh said, and a killed ssh says so', () => {
    expect(classify('something odd\n').message).toBe('ssh to [127.0.0.1]:2299 failed (exit 255): something odd');
    expect(classify('', null).message).toBe('ssh to [127.0.0.1]:2299 failed (killed)');
  });

  it('no ssh client on the PATH', () => {
    const e = clientMissingError(Object.assign(new Error('spawn ssh ENOENT'), { code: 'ENOENT' }));
    expect(e.code).toBe('SSH_CLIENT');
    expect(e.message).toBe('cannot run the ssh client (ssh): it is not on the PATH');
    expect(e.remedy).toContain('install the OpenSSH client');
  });
});
