/* eslint-disable no-control-regex -- these tests look for terminal control sequences on purpose */
/**
 * What werf-run prints around werf's output, for real: plain timestamped lines
 * without a terminal or in CI (no control sequences), GitHub Actions groups,
 * GitLab sections, --quiet, and the listr2 task list under a real
 * pseudo-terminal (script(1)), with werf's output after it, intact.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { BIN, cleanEnv, makeProject, rig } from './support.js';
import { runWerfRun } from './support.js';

const SH_IMAGE = rig.WERF_RUN_RIG_SH_IMAGE!;
const projects: { cleanup(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
});

function shProject() {
  const project = makeProject({ 'README.md': 'x\n' }, { image: { reference: SH_IMAGE } });
  projects.push(project);
  return project;
}

const WERF_SCRIPT = 'echo werf-out-1; echo werf-err-1 >&2; printf "%s\\n" werf-out-2';
const ESC = '\x1b';
/** Variables that would make a run look like CI or change colours, removed so each test sets its own. */
const NEUTRAL = {
  CI: undefined,
  GITHUB_ACTIONS: undefined,
  GITLAB_CI: undefined,
  NO_COLOR: undefined,
  FORCE_COLOR: undefined,
  BUILD_ID: undefined,
  BUILD_NUMBER: undefined,
  RUN_ID: undefined,
};

describe('plain output (no terminal, or CI)', () => {
  it('without a terminal: timestamped werf-run lines on stderr, werf output untouched, no control sequences', async () => {
    const project = shProject();
    const result = await runWerfRun(['sh', WERF_SCRIPT], { cwd: project.dir, env: { ...NEUTRAL } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('werf-out-1\nwerf-out-2\n');
    const own = result.stderr.split('\n').filter((l) => l.includes('werf-run:'));
    expect(own.length).toBeGreaterThanOrEqual(4);
    for (const line of own) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z werf-run: /);
    expect(result.stderr).toContain('werf-err-1\n');
    expect(result.stdout + result.stderr).not.toContain(ESC);
  });

  it('CI=true with FORCE_COLOR unset: still no ESC byte anywhere, even with --verbose', async () => {
    const project = shProject();
    const result = await runWerfRun(['--verbose', 'sh', WERF_SCRIPT], { cwd: project.dir, env: { ...NEUTRAL, CI: 'true' } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('debug: engine: POST /containers/create');
    expect(result.stdout + result.stderr).not.toContain(ESC);
  });

  it('GitHub Actions: the preparation is one ::group::, closed before werf output starts', async () => {
    const project = shProject();
    const result = await runWerfRun(['sh', 'echo werf-out-1 >&2'], {
      cwd: project.dir,
      env: { ...NEUTRAL, CI: 'true', GITHUB_ACTIONS: 'true' },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stderr.split('\n');
    const open = lines.indexOf('::group::werf-run: preparing');
    const close = lines.indexOf('::endgroup::');
    const werf = lines.indexOf('werf-out-1');
    expect(open).toBe(0);
    expect(close).toBeGreaterThan(open + 3);
    expect(werf).toBe(close + 1);
    expect(lines.filter((l) => l.startsWith('::group::'))).toHaveLength(1);
    expect(lines.slice(open + 1, close).every((l) => / werf-run: /.test(l))).toBe(true);
  });

  it('GitLab CI: a collapsed section, whose markers are the only control sequences', async () => {
    const project = shProject();
    const result = await runWerfRun(['sh', 'echo werf-out-1 >&2'], {
      cwd: project.dir,
      env: { ...NEUTRAL, CI: 'true', GITLAB_CI: 'true' },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stderr.split('\n');
    expect(lines[0]).toMatch(/^\x1b\[0Ksection_start:\d+:werf_run_prepare\[collapsed=true\]\r\x1b\[0Kwerf-run: preparing$/);
    const end = lines.findIndex((l) => /^\x1b\[0Ksection_end:\d+:werf_run_prepare\r\x1b\[0K$/.test(l));
    expect(end).toBeGreaterThan(3);
    expect(lines[end + 1]).toBe('werf-out-1');
    const others = lines.filter((_, i) => i !== 0 && i !== end);
    expect(others.join('\n')).not.toContain(ESC);
  });

  it("GitLab CI: doctor's report comes after the collapsed section, not folded into it", async () => {
    const project = shProject();
    // One pipe for both streams, in the order werf-run wrote them, as a CI job log has them.
    const result = await execa('sh', ['-c', `node '${BIN}' doctor 2>&1`], {
      cwd: project.dir,
      env: cleanEnv({ ...NEUTRAL, CI: 'true', GITLAB_CI: 'true' }),
      extendEnv: false,
      reject: false,
    });
    const log = String(result.stdout);
    const end = log.search(/section_end:\d+:werf_run_prepare/);
    expect(end, log).toBeGreaterThan(0);
    expect(log.search(/^engine: /m), log).toBeGreaterThan(end);
    expect(log.search(/^mode: /m), log).toBeGreaterThan(end);
  });

  it('--quiet: only werf output; an error still shows', async () => {
    const project = shProject();
    const ok = await runWerfRun(['--quiet', 'sh', WERF_SCRIPT], { cwd: project.dir, env: { ...NEUTRAL, CI: 'true' } });
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toBe('werf-out-1\nwerf-out-2\n');
    expect(ok.stderr).toBe('werf-err-1\n');
    const bad = await runWerfRun(['--quiet', '--pull', 'never', '--image', '127.0.0.1:5000/werf-run-test/absent:none', 'version'], {
      cwd: project.dir,
      env: { ...NEUTRAL },
    });
    expect(bad.exitCode).toBe(125);
    expect(bad.stderr).toMatch(/^werf-run: error: image 127\.0\.0\.1:5000\/werf-run-test\/absent:none is not on the engine/);
  });
});

/** Runs werf-run under a real pseudo-terminal of 100x30 and returns everything the terminal received. */
async function underPty(
  args: string[],
  cwd: string,
  env: Record<string, string | undefined>,
): Promise<{ output: string; exitCode: number | undefined }> {
  const quoted = ['node', BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const result = await execa('script', ['-qec', `stty cols 100 rows 30; ${quoted}`, '/dev/null'], {
    cwd,
    env: cleanEnv({ ...NEUTRAL, TERM: 'xterm-256color', ...env }),
    extendEnv: false,
    reject: false,
    timeout: 120_000,
    // A pipe that stays open: at the end of its stdin, util-linux's script writes an EOF character
    // to the terminal (lib/pty-session.c, ul_pty_write_eof_to_child), which the terminal may echo
    // (^@, ^D) into the output at any point. A real user's terminal never sends one.
    stdin: 'pipe',
  });
  return { output: String(result.stdout), exitCode: result.exitCode };
}

describe('on a terminal (a real pseudo-terminal)', () => {
  it('shows the task list with all four steps ticked, then werf output, never redrawn over', async () => {
    const project = shProject();
    const { output, exitCode } = await underPty(['sh', 'echo werf-out-1; echo werf-out-2'], project.dir, {});
    expect(exitCode, output).toBe(0);
    for (const step of [
      'connecting to the Docker Engine',
      'detecting what the Docker host allows',
      `making sure ${SH_IMAGE} is on the engine`,
      'starting werf sh in mode native',
    ]) {
      expect(output).toMatch(new RegExp(`\\u2714\\S* ${step.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    }
    // Spinner frames and cursor movement happen, but only before werf's first byte.
    const start = output.indexOf('werf-out-1');
    expect(start).toBeGreaterThan(0);
    expect(output.slice(0, start)).toContain(`${ESC}[1A`);
    const after = output.slice(start);
    expect(after).toMatch(/^werf-out-1\r\nwerf-out-2\r\n/);
    // At most the final "show cursor" comes after werf's output; nothing that moves or erases.
    expect(after.replaceAll(`${ESC}[?25h`, '')).not.toContain(ESC);
  });

  it("werf's lines end as under docker run -it: \\r\\n, never \\r\\r\\n", async () => {
    const project = shProject();
    const script = 'echo line-1; printf "line-2\\n\\n"; echo last';
    const ours = await underPty(['-q', 'sh', script], project.dir, {});
    expect(ours.exitCode, ours.output).toBe(0);
    const docker = await execa('script', ['-qec', `docker run --rm -it --network none ${SH_IMAGE} sh -c '${script}'`, '/dev/null'], {
      reject: false,
      stdin: 'pipe',
      stripFinalNewline: false,
      timeout: 60_000,
    });
    expect(docker.exitCode, String(docker.stderr)).toBe(0);
    // (underPty's execa strips the last line end)
    const lines = 'line-1\r\nline-2\r\n\r\nlast';
    expect(String(docker.stdout)).toBe(`${lines}\r\n`);
    expect(ours.output.replaceAll(`${ESC}[?25h`, '')).toBe(lines);
  });

  it('NO_COLOR: the task list has no colours (cursor control only)', async () => {
    const project = shProject();
    const { output, exitCode } = await underPty(['sh', 'echo werf-out-1'], project.dir, { NO_COLOR: '1' });
    expect(exitCode, output).toBe(0);
    expect(output).toContain('connecting to the Docker Engine');
    expect(output).not.toMatch(/\x1b\[(3\d|9\d|2|22|39)m/);
    expect(output).toContain('werf-out-1');
  });

  it('a failing step shows as failed, and the one error message follows the list', async () => {
    const project = shProject();
    const { output, exitCode } = await underPty(
      ['--pull', 'never', '--image', '127.0.0.1:5000/werf-run-test/absent:none', 'version'],
      project.dir,
      {},
    );
    expect(exitCode).toBe(125);
    expect(output).toMatch(/\u2716\S* making sure 127\.0\.0\.1:5000\/werf-run-test\/absent:none is on the engine/);
    const errors = output.match(/werf-run: error: image 127\.0\.0\.1:5000\/werf-run-test\/absent:none is not on the engine/g) ?? [];
    expect(errors).toHaveLength(1);
    expect(path.isAbsolute(project.dir)).toBe(true);
  });
});
