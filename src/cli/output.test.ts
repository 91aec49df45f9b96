import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createReporter } from './output.js';
import { PlainReporter } from './reporter.js';
import { TaskListReporter } from './task-list.js';

const stream = (tty: boolean, columns?: number) => Object.assign(new PassThrough(), { isTTY: tty, columns });
const choice = { verbose: false, quiet: false };

describe('createReporter', () => {
  // The task list only on a sized terminal outside CI, without --quiet.
  it.each([
    ['a sized terminal', {}, stream(true, 100), choice, false, TaskListReporter],
    ['CI', {}, stream(true, 100), choice, true, PlainReporter],
    ['no terminal', {}, stream(false), choice, false, PlainReporter],
    ['a terminal without columns', {}, stream(true, 0), choice, false, PlainReporter],
    ['TERM=dumb', { TERM: 'dumb' }, stream(true, 100), choice, false, PlainReporter],
    ['--quiet', {}, stream(true, 100), { verbose: false, quiet: true }, false, PlainReporter],
  ])('%s', async (_where, env, stderr, options, ci, kind) => {
    await expect(createReporter({ env, stderr }, options, ci)).resolves.toBeInstanceOf(kind);
  });

  it('in CI: timestamped lines, the group around the preparation, no colour', async () => {
    const err = stream(false);
    const chunks: string[] = [];
    err.on('data', (c: Buffer) => chunks.push(c.toString()));
    const reporter = await createReporter({ env: { GITHUB_ACTIONS: 'true' }, stderr: err }, choice, true);
    await reporter.task('connecting', async () => reporter.warn('careful'));
    reporter.endPreparation();
    reporter.endPreparation();
    const lines = chunks.join('').split('\n');
    expect(lines[0]).toBe('::group::werf-run: preparing');
    expect(lines[1]).toMatch(/^\S+Z werf-run: connecting$/);
    expect(lines[2]).toMatch(/^\S+Z werf-run: warning: careful$/);
    expect(lines[3]).toBe('::endgroup::');
    expect(lines).toHaveLength(5);
  });
});
