import { createHmac, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkHostKey,
  describeOffer,
  hostFieldMatches,
  hostKeyError,
  keyTypeOf,
  knownHostsName,
  parseSshUrl,
  remoteError,
  unreachableError,
} from './ssh-endpoint.js';

/** An SSH wire-format public key blob of the given type (string type, then key bytes). */
function blob(type: string, body: string): Buffer {
  const t = Buffer.from(type);
  const b = Buffer.from(body);
  const out = Buffer.alloc(8 + t.length + b.length);
  out.writeUInt32BE(t.length, 0);
  t.copy(out, 4);
  out.writeUInt32BE(b.length, 4 + t.length);
  b.copy(out, 8 + t.length);
  return out;
}
const key = blob('ssh-ed25519', 'the-real-host-key-bytes-32-long!');
const other = blob('ssh-ed25519', 'someone-elses-key-bytes-32-long!');
const rsa = blob('ssh-rsa', 'an rsa key');
const line = (hosts: string, k: Buffer, type = 'ssh-ed25519') => `${hosts} ${type} ${k.toString('base64')}`;
const hashed = (name: string, salt = Buffer.from('0123456789abcdef0123')) =>
  `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;

describe('parseSshUrl', () => {
  it('reads user, host and port like the docker CLI, defaulting to port 22 and the local user', () => {
    expect(parseSshUrl('ssh://deploy@build.example:2222', 'me')).toEqual({ host: 'build.example', port: 2222, username: 'deploy' });
    expect(parseSshUrl('ssh://build.example', 'me')).toEqual({ host: 'build.example', port: 22, username: 'me' });
    expect(parseSshUrl('ssh://root@[::1]:22', 'me')).toEqual({ host: '::1', port: 22, username: 'root' });
  });

  it('refuses what the docker CLI refuses: a password, a path, a query (exit 2)', () => {
    expect(() => parseSshUrl('ssh://u:secret@h', 'me')).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringContaining('a password') }));
    expect(() => parseSshUrl('ssh://u@h/var/run/docker.sock', 'me')).toThrow(/has a path \(\/var\/run\/docker.sock\)/);
    expect(() => parseSshUrl('ssh://u@h?x=1', 'me')).toThrow(/query/);
  });
});

describe('known_hosts', () => {
  it('names a host as ssh writes it: bare on port 22, [host]:port otherwise', () => {
    expect(knownHostsName('h', 22)).toBe('h');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('reads the key type from a key blob', () => {
    expect(keyTypeOf(key)).toBe('ssh-ed25519');
    expect(keyTypeOf(Buffer.alloc(2))).toBe('');
  });

  it('matches patterns, negations and hashed names', () => {
    expect(hostFieldMatches('a.example,b.example', 'b.example')).toBe(true);
    expect(hostFieldMatches('*.example', 'build.example')).toBe(true);
    expect(hostFieldMatches('*.example,!build.example', 'build.example')).toBe(false);
    expect(hostFieldMatches('build.exampl?', 'build.example')).toBe(true);
    expect(hostFieldMatches('build.example', 'build.example.evil')).toBe(false);
    expect(hostFieldMatches(hashed('[127.0.0.1]:2222'), '[127.0.0.1]:2222')).toBe(true);
    expect(hostFieldMatches(hashed('[127.0.0.1]:2222'), '127.0.0.1')).toBe(false);
  });

  it('decides known, unknown, changed and revoked as OpenSSH does', () => {
    const text = `# comment\n\n${line('[h]:2222', key)}\n${line('other', other)}\n`;
    expect(checkHostKey([text], 'h', 2222, key)).toBe('known');
    // The port is part of the name: the same host on 22 is another entry.
    expect(checkHostKey([text], 'h', 22, key)).toBe('unknown');
    expect(checkHostKey([line('[h]:2222', other)], 'h', 2222, key)).toBe('changed');
    // A recorded key of another type only: ssh asks rather than alarms.
    expect(checkHostKey([line('[h]:2222', rsa, 'ssh-rsa')], 'h', 2222, key)).toBe('unknown');
    expect(checkHostKey([[line('h', other), line('h', key)].join('\n')], 'h', 22, key)).toBe('known');
    expect(checkHostKey([text, `@revoked ${line('*', key)}`], 'h', 2222, key)).toBe('revoked');
    expect(checkHostKey([`@cert-authority ${line('h', key)}`], 'h', 22, key)).toBe('unknown');
    expect(checkHostKey(['', line(hashed('h'), key)], 'h', 22, key)).toBe('known');
  });

  it('compares whole keys, not prefixes', () => {
    const real = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
    const k = blob('ssh-ed25519', real.subarray(-32).toString('latin1'));
    expect(checkHostKey([line('h', k).slice(0, -4)], 'h', 22, k)).toBe('changed');
  });
});

describe('ssh failure messages', () => {
  const target = { host: 'build.example', port: 2222, username: 'ci' };

  it('an unknown host key: the ssh command that shows the fingerprint and records it', () => {
    const e = hostKeyError('unknown', target, 'ssh-ed25519', ['/home/u/.ssh/known_hosts']);
    expect(e.code).toBe('SSH_HOSTKEY_UNKNOWN');
    expect(e.message).toBe('the ssh host key of [build.example]:2222 (ssh-ed25519) is not in /home/u/.ssh/known_hosts; werf-run does not trust unknown hosts');
    expect(e.remedy).toContain('ssh -p 2222 ci@build.example docker version');
  });

  it('a changed host key: ssh-keygen -R with the name as known_hosts has it', () => {
    expect(hostKeyError('changed', { ...target, port: 22 }, 'ssh-rsa', ['f']).remedy).toContain("ssh-keygen -R 'build.example'");
  });

  it('says what was offered to the server', () => {
    expect(describeOffer('/tmp/agent.sock', ['/h/.ssh/id_ed25519'])).toBe('the keys of the ssh agent at SSH_AUTH_SOCK=/tmp/agent.sock and /h/.ssh/id_ed25519');
    expect(describeOffer(undefined, [])).toMatch(/^no key at all/);
  });

  it('no ssh server on the port is named as such, with the ssh command to check', () => {
    const refused = unreachableError(target, Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:2222'), { code: 'ECONNREFUSED' }));
    expect(refused.message).toBe('cannot reach the ssh server at [build.example]:2222: connection refused (ECONNREFUSED): no ssh server listens there');
    expect(refused.remedy).toContain('ssh -p 2222 ci@build.example docker version');
    expect(unreachableError(target, Object.assign(new Error('x'), { code: 'ENOTFOUND' })).message).toContain('does not resolve (ENOTFOUND)');
    expect(unreachableError(target, Object.assign(new Error('connect EHOSTUNREACH'), { code: 'EHOSTUNREACH' })).message).toContain('connect EHOSTUNREACH');
  });

  it('a remote without the docker CLI, or without an engine, gets the fix for each', () => {
    const missing = remoteError(target, 127, 'bash: line 1: docker: command not found\n');
    expect(missing.message).toBe('on build.example, `docker system dial-stdio` failed (exit 127): bash: line 1: docker: command not found');
    expect(missing.remedy).toMatch(/^install the docker CLI on build.example/);
    const down = remoteError(target, 1, 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?');
    expect(down.remedy).toMatch(/^start the Docker Engine on build.example/);
  });
});
