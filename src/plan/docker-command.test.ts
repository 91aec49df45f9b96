import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { ContainerSpec } from '../engine/port.js';
import { dockerRunCommand, shellQuote } from './docker-command.js';

/** What a real POSIX shell makes of a command line: its words, one per line. */
const shellWords = (line: string): string[] =>
  execFileSync('sh', ['-c', `printf '%s\\n' ${line}`], { encoding: 'utf8', env: { PATH: process.env.PATH } })
    .split('\n')
    .slice(0, -1);

describe('shellQuote', () => {
  it.each([
    ['build', 'build'],
    ['type=bind,source=/a/b,target=/workspace', 'type=bind,source=/a/b,target=/workspace'],
    ['', "''"],
    ['two words', "'two words'"],
    ["it's", "'it'\\''s'"],
    ['$HOME', "'$HOME'"],
    ['a;rm -rf /', "'a;rm -rf /'"],
    ['`id`', "'`id`'"],
    ['line\nbreak', "'line\nbreak'"],
  ])('%j -> %s, and the shell reads it back unchanged', (word, quoted) => {
    expect(shellQuote(word)).toBe(quoted);
    expect(shellWords(`x ${shellQuote(word)}`)).toEqual(['x', ...word.split('\n')]);
  });
});

describe('dockerRunCommand', () => {
  const spec: ContainerSpec = {
    image: 'reg/werf:2',
    cmd: ['werf', 'build', '--set', "msg=it's here"],
    env: ['WERF_REPO=reg/app', 'GITHUB_TOKEN=ghs_secret', 'CI_REPOSITORY_URL=https://gitlab-ci-token:glcbt-secret@gitlab.example/g/p.git'],
    user: 'build',
    workingDir: '/workspace/sub',
    labels: { 'werf-run.mode': 'fuse' },
    tty: true,
    openStdin: true,
    mounts: [
      { type: 'bind', source: '/home/u/my app', target: '/workspace', readOnly: false },
      { type: 'volume', source: 'storage', target: '/home/build/.local/share/containers', readOnly: false },
      { type: 'tmpfs', source: '', target: '/tmp', readOnly: true },
    ],
    securityOpt: ['seccomp=unconfined'],
    devices: ['/dev/fuse'],
    privileged: false,
    networkMode: 'host',
    ulimits: [{ name: 'nofile', soft: 1024, hard: 4096 }],
  };

  it('gives every setting as the docker CLI takes it, in words a shell reads back', () => {
    expect(shellWords(dockerRunCommand(spec))).toEqual([
      'docker',
      'run',
      '--rm',
      '-it',
      '--security-opt',
      'seccomp=unconfined',
      '--device',
      '/dev/fuse',
      '--network',
      'host',
      '--ulimit',
      'nofile=1024:4096',
      '--user',
      'build',
      '--mount',
      'type=bind,source=/home/u/my app,target=/workspace',
      '--mount',
      'type=volume,source=storage,target=/home/build/.local/share/containers',
      '--mount',
      'type=tmpfs,target=/tmp,readonly',
      '--workdir',
      '/workspace/sub',
      '--env',
      'WERF_REPO=reg/app',
      '--env',
      'GITHUB_TOKEN',
      '--env',
      'CI_REPOSITORY_URL',
      '--label',
      'werf-run.mode=fuse',
      'reg/werf:2',
      'werf',
      'build',
      '--set',
      "msg=it's here",
    ]);
  });

  it('never prints a secret value', () => {
    expect(dockerRunCommand(spec)).not.toMatch(/ghs_secret|glcbt-secret/);
  });
});
