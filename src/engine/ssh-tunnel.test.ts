/**
 * The ssh transport's process handling, with a real stand-in `ssh` (a shell
 * script taking the same arguments): the master's control socket, a session's
 * stdio as the HTTP socket, ssh's failures becoming SshErrors, and nothing
 * left running or on disk after destroy(). The real ssh against a real sshd is
 * integration/engine-ssh.test.ts.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SshError } from './ssh-endpoint.js';
import { SshHttpAgent } from './ssh-tunnel.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'wr-fake-ssh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in ssh: the master makes its control socket (a file will do) and waits; a session answers one HTTP request. */
function fakeSsh(name: string, master: string, session: string): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    `#!/bin/sh
echo $$ >> '${dir}/${name}.pids'
case " $* " in
  *" -M "*) ctl=""; prev=""; for a in "$@"; do [ "$prev" = "-S" ] && ctl="$a"; prev="$a"; done
    ${master} ;;
  *) ${session} ;;
esac
`,
  );
  chmodSync(file, 0o755);
  return file;
}
const serving = `: > "$ctl"; trap 'rm -f "$ctl"; exit 0' TERM; while :; do sleep 0.05; done`;
const answering = `head -c 1 >/dev/null; printf 'HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nOK'`;

function get(agent: http.Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ agent, host: 'docker', path: '/_ping' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const target = { host: 'build.example', username: 'ci' };

// A fake ssh as a shebang script over unix sockets (ControlMaster): a POSIX transport; Windows has neither.
describe.skipIf(process.platform === 'win32')('the ssh transport', () => {
  it('one master, a session per connection, and destroy() leaves no process and no control dir', async () => {
    const program = fakeSsh('ok', serving, answering);
    const agent = new SshHttpAgent(target, { agentSocket: undefined, multiplex: true, program });
    const before = new Set(readdirTemp());
    expect(await get(agent)).toBe('OK');
    expect(await get(agent)).toBe('OK');
    const made = readdirTemp().filter((d) => !before.has(d));
    expect(made).toHaveLength(1);
    agent.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const pids = readFileSync(path.join(dir, 'ok.pids'), 'utf8').trim().split('\n').map(Number);
    expect(pids).toHaveLength(3); // the master and two sessions
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(path.join(os.tmpdir(), made[0]!))).toBe(false);
  });

  it("a master that fails: ssh's message becomes the named failure", async () => {
    const program = fakeSsh('hostkey', `echo 'Host key verification failed.' >&2; exit 255`, answering);
    const agent = new SshHttpAgent(target, { agentSocket: undefined, multiplex: true, program });
    const error = await get(agent).catch((e: unknown) => e);
    agent.destroy();
    expect(error).toBeInstanceOf(SshError);
    expect((error as SshError).code).toBe('SSH_HOSTKEY_UNKNOWN');
  });

  it('a session whose dial-stdio fails: the remote error with its exit status', async () => {
    const program = fakeSsh('nodocker', serving, `echo 'sh: 1: docker: not found' >&2; exit 127`);
    const agent = new SshHttpAgent(target, { agentSocket: undefined, multiplex: true, program });
    const error = await get(agent).catch((e: unknown) => e);
    agent.destroy();
    expect((error as SshError).code).toBe('SSH_REMOTE');
    expect((error as SshError).message).toBe('on build.example, `docker system dial-stdio` failed (exit 127): sh: 1: docker: not found');
  });

  it('without multiplexing (Windows), each connection is its own ssh', async () => {
    const program = fakeSsh('plain', `exit 99`, answering);
    const agent = new SshHttpAgent(target, { agentSocket: undefined, multiplex: false, program });
    expect(await get(agent)).toBe('OK');
    agent.destroy();
  });

  it('no ssh program: says so', async () => {
    const agent = new SshHttpAgent(target, { agentSocket: undefined, multiplex: true, program: path.join(dir, 'no-such-ssh') });
    const error = await get(agent).catch((e: unknown) => e);
    agent.destroy();
    expect((error as SshError).code).toBe('SSH_CLIENT');
  });
});

function readdirTemp(): string[] {
  return readdirSync(os.tmpdir()).filter((d) => d.startsWith('werf-run-ssh-'));
}
