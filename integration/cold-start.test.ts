/**
 * A cold run (no cache: a fresh CI runner, a new Docker-in-Docker service)
 * learns the host's facts and what the engine sees of the project in one short
 * container before werf's, not two. Counted from the engine's own event stream.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { containerCreates, makeProject, rig, runWerfRun } from './support.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const engineNow = async (): Promise<string> => (await execa('docker', ['info', '--format', '{{.SystemTime}}'])).stdout.trim();

/** The containers created for this project between two engine times, in order, with their role label. */
async function created(projectDir: string, since: string, until: string): Promise<string[]> {
  const lines = await containerCreates(projectDir, since, until, 'role={{index .Actor.Attributes "werf-run.role"}}');
  // werf's own container has no role label.
  return lines.map((line) => line.replace(/^role=/, '') || 'werf');
}

describe('a cold run', () => {
  it("creates one container before werf's: the probe, which checks the project too; a warm run creates none", async () => {
    const project = makeProject({ 'werf.yaml': 'project: cold\nconfigVersion: 1\n' }, { image: { reference: rig.WERF_RUN_RIG_SH_IMAGE } });
    cleanups.push(() => project.cleanup());
    const cache = mkdtempSync(path.join(os.tmpdir(), 'werf-run-it-cold-'));
    cleanups.push(() => rmSync(cache, { recursive: true, force: true }));
    const env = { XDG_CACHE_HOME: cache };

    const t0 = await engineNow();
    const cold = await runWerfRun(['--verbose', 'version'], { cwd: project.dir, env });
    const t1 = await engineNow();
    expect(cold.exitCode, cold.stderr).toBe(0);
    expect(cold.stdout).toContain('werf-sh test double');
    expect(cold.stderr).toContain("project files: checked in the probe's container: same");
    expect(cold.stderr).toContain(`project files: bind-mounted ${project.dir} (the engine's host sees this checkout)`);
    expect(await created(project.dir, t0, t1)).toEqual(['probe', 'werf']);

    const warm = await runWerfRun(['version'], { cwd: project.dir, env });
    const t2 = await engineNow();
    expect(warm.exitCode, warm.stderr).toBe(0);
    expect(await created(project.dir, t1, t2)).toEqual(['werf']);
  });
});
