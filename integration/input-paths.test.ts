/**
 * Files werf reads where the user names them on this host (--values,
 * --secret-values, --set-file and WERF_VALUES_*): one outside the project
 * reaches werf's container through the archive API and werf's argument or
 * variable names that copy; a missing one stops werf-run before anything starts.
 * The werf-sh double prints what werf would get (its arguments, the files' modes and contents).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeProject, managedContainers, rig, runWerfRun } from './support.js';

const SH_IMAGE = rig.WERF_RUN_RIG_SH_IMAGE!;
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

// Prints each argument; for one naming a file, its owner, mode and content (werf-sh runs `sh -c SCRIPT werf-sh ARGS`).
const SHOW =
  'for a in "$@"; do echo "arg $a"; f="${a#*=}"; [ -f "$f" ] && stat -c "%U %a" "$f" && cat "$f"; done; echo "env $WERF_VALUES_X"; cat "$WERF_VALUES_X"';

describe('input files outside the project', () => {
  const outside = mkdtempSync(path.join(os.tmpdir(), 'werf-run-inputs-'));
  cleanups.push(() => rmSync(outside, { recursive: true, force: true }));
  const project = makeProject({ 'README.md': 'test\n', 'in.yaml': 'inside: 1\n' }, { image: { reference: SH_IMAGE } });
  cleanups.push(() => project.cleanup());

  it('are handed in (secret values 0600), and werf gets the copies; a path inside the project is left as is', async () => {
    writeFileSync(path.join(outside, 'values.yaml'), 'replicas: 3\n', { mode: 0o600 });
    writeFileSync(path.join(outside, 'secret.yaml'), 'token: enc\n', { mode: 0o600 });
    writeFileSync(path.join(outside, 'env.yaml'), 'from: env\n', { mode: 0o600 });
    const result = await runWerfRun(
      [
        '-q',
        'sh',
        SHOW,
        '--values',
        path.join(outside, 'values.yaml'),
        `--secret-values=${path.join(outside, 'secret.yaml')}`,
        '--values',
        'in.yaml',
      ],
      { cwd: project.dir, env: { WERF_VALUES_X: path.join(outside, 'env.yaml') } },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    const inputs = '/home/build/.werf-run/inputs';
    expect(result.stdout).toBe(
      [
        'arg --values',
        `arg ${inputs}/1-values.yaml`,
        'build 644',
        'replicas: 3',
        `arg --secret-values=${inputs}/2-secret.yaml`,
        'build 600',
        'token: enc',
        'arg --values',
        // Inside the project: as given, read from the mounted checkout.
        'arg in.yaml',
        'build 644',
        'inside: 1',
        `env ${inputs}/3-env.yaml`,
        'from: env',
        '',
      ].join('\n'),
    );
    expect(await managedContainers(project.dir)).toEqual([]);
  });

  it('a missing one: exit 2 naming the flag, the path and the fix; nothing started', async () => {
    const missing = path.join(outside, 'nope.yaml');
    const result = await runWerfRun(['sh', SHOW, '--values', missing], { cwd: project.dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`werf-run: error: werf's --values names ${missing}, which does not exist on this host (${missing})`);
    expect(result.stderr).toContain('fix: give --values the path of a file here (werf-run hands it in), or leave it out');
    expect(result.stdout).toBe('');
    expect(await managedContainers(project.dir)).toEqual([]);
  });
});
