import { describe, expect, it } from 'vitest';
import type { ContainerSpec, Engine } from './port.js';
import { loggingEngine } from './logging.js';

const spec: ContainerSpec = {
  image: 'reg/werf:2',
  cmd: ['werf', 'build'],
  env: ['WERF_REPO=r', 'GITHUB_TOKEN=ghp_secret'],
  labels: {},
  tty: false,
  openStdin: false,
  mounts: [{ type: 'bind', source: '/src', target: '/workspace', readOnly: false }],
  securityOpt: ['seccomp=unconfined'],
  devices: [],
  privileged: false,
};

describe('loggingEngine', () => {
  it('logs each call with its arguments and outcome, never env values or credentials', async () => {
    const lines: string[] = [];
    const fake = {
      endpoint: { url: 'unix:///s', source: 'test' },
      createContainer: async () => 'abcdef0123456789',
      pullImage: async () => undefined,
      putArchive: async () => undefined,
      removeContainer: async () => {
        throw new Error('gone wrong');
      },
    } as unknown as Engine;
    const engine = loggingEngine(fake, (l) => lines.push(l));
    expect(await engine.createContainer(spec)).toBe('abcdef0123456789');
    await engine.pullImage('reg/werf:2', { username: 'u', password: 'hunter2', serveraddress: 'reg' }, () => undefined);
    await expect(engine.removeContainer('abcdef0123456789')).rejects.toThrow('gone wrong');
    await engine.putArchive('abcdef0123456789', '/', Buffer.from('token hunter2 in a tar'));
    const text = lines.join('\n');
    expect(text).toContain('PUT /containers/abcdef012345/archive?path=/ (22 bytes)');
    expect(text).toContain('POST /containers/create (image=reg/werf:2 cmd=["werf","build"]');
    expect(text).toContain('env names=[WERF_REPO,GITHUB_TOKEN]');
    expect(text).toContain('createContainer -> created abcdef012345');
    expect(text).toContain('POST /images/create?fromImage=reg/werf:2 with credentials for reg');
    expect(text).toContain('removeContainer failed after');
    expect(text).not.toContain('ghp_secret');
    expect(text).not.toContain('hunter2');
    expect(engine.endpoint.url).toBe('unix:///s');
  });
});
