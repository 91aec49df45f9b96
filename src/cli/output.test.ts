import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createReporter } from './output.js';
import { PlainReporter } from './reporter.js';
import { TaskListReporter } from './task-list.js';

const stream = (tty: boolean, columns?: number) => Object.assign(new PassThrough(), { isTTY: tty, columns });
const choice = { verbose: false, quiet: false };

describe('createReporter', () => {
  it('uses the task list only on a sized terminal outside CI, without --quiet', async () => {
    await expect(createReporter({ env: {}, stderr: stream(true, 100) }, choice, false)).resolves.toBeInstanceOf(TaskListReporter);
    await expect(createReporter({ env: {}, stderr: stream(true, 100) }, choice, true)).resolves.toBeInstanceOf(PlainReporter);
    await expect(createReporter({ env: {}, stderr: stream(false) }, choice, false)).resolves.toBeInstanceOf(PlainReporter);
    await expect(createReporter({ env: {}, stderr: stream(true, 0) }, choice, false)).resolves.toBeInstanceOf(PlainReporter);
    await expect(createReporter({ env: { TERM: 'dumb' }, stderr: stream(true, 100) }, choice, false)).resolves.toBeInstanceOf(PlainReporter);
    await expect(createReporter({ env: {}, stderr: stream(true, 100) }, { verbose: false, quiet: true }, false)).resolves.toBeInstanceOf(PlainReporter);
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
