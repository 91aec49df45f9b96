import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeEngine } from '../../test/fakes.js';
import type { Endpoint } from '../engine/port.js';
import { ExitCode } from '../errors.js';
import type { CliContext } from './context.js';
import { main } from './main.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs the CLI in an empty temp dir (no git, no config) where no engine answers, unless `openEngine` says otherwise. */
async function cli(argv: string[], openEngine?: CliContext['openEngine']) {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'werf-run-main-'));
  dirs.push(cwd);
  const text = () => {
    const stream = new PassThrough();
    let written = '';
    stream.on('data', (chunk: Buffer) => (written += chunk.toString()));
    return { stream, written: () => written };
  };
  const out = text();
  const err = text();
  const refused = (endpoint: Endpoint) =>
    fakeEngine({
      endpoint,
      ping: async () => Promise.reject(Object.assign(new Error(`connect ECONNREFUSED ${endpoint.url}`), { code: 'ECONNREFUSED' })),
    });
  const code = await main({
    argv,
    env: {
      HOME: cwd,
      XDG_CACHE_HOME: path.join(cwd, 'cache'),
      XDG_RUNTIME_DIR: path.join(cwd, 'run'),
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
      PATH: process.env.PATH,
    },
    cwd,
    platform: process.platform,
    stdin: new PassThrough(),
    stdout: out.stream,
    stderr: err.stream,
    version: '1.2.3',
    openEngine: openEngine ?? refused,
  });
  return { code, stdout: out.written(), stderr: err.written() };
}

describe('main: the one place errors become a message and an exit code', () => {
  it.each([
    ['--version', ['--version'], 0, /^$/],
    ['a bad flag value', ['--mode', 'bogus', 'build'], ExitCode.usage, /werf-run: error: .*bogus.*\n {2}fix: see werf-run --help\n$/],
    [
      '-q with -v (they contradict)',
      ['-q', '-v', 'build'],
      ExitCode.usage,
      /werf-run: error: option '-q, --quiet' cannot be used with option '-v, --verbose'\n {2}fix: give one: -q shows only werf's output and errors, -v every decision and Engine API call\n$/,
    ],
    ['no werf command', [], ExitCode.usage, /werf-run: error: no werf command given\n {2}fix: name one, e.g. werf-run build\n$/],
    ['no engine', ['build'], ExitCode.failed, /werf-run: error: .*unix:\/\/\/nonexistent\/docker\.sock.*\n {2}fix: /s],
  ])('%s: exit %i and one message with its fix, no stack', async (_what, argv, code, stderr) => {
    const result = await cli(argv);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(stderr);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('prints the version on stdout', async () => {
    expect((await cli(['--version'])).stdout).toBe('1.2.3\n');
  });

  it('adds the stack of a known error only with --verbose', async () => {
    const result = await cli(['--verbose', 'build']);
    expect(result.code).toBe(ExitCode.failed);
    expect(result.stderr).toMatch(/werf-run: error: .*\n {2}fix: .*\nWerfRunError: no Docker Engine answered.*\n\s+at connect /s);
  });

  it('reports anything else as a bug, with its stack and where to report it', async () => {
    const result = await cli(['build'], (endpoint) =>
      fakeEngine({
        endpoint,
        ping: async () => undefined,
        info: async () => {
          throw new TypeError('boom');
        },
      }),
    );
    expect(result.code).toBe(ExitCode.failed);
    expect(result.stderr).toMatch(
      /werf-run: internal error \(a bug in werf-run, please report it with this output\):\nTypeError: boom\n\s+at /,
    );
  });

  it('doctor without an engine: exit 1 and a report that says so', async () => {
    const result = await cli(['doctor']);
    expect(result.code).toBe(ExitCode.doctorProblems);
    expect(result.stdout).toMatch(
      /^engine: no Docker Engine answered at the endpoint chosen by DOCKER_HOST:\n {2}- unix:\/\/\/nonexistent\/docker\.sock/m,
    );
    expect(result.stdout).toContain('mode: none can work');
  });
});
