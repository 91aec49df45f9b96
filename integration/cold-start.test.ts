/**
 * A cold run (no cache: a fresh CI runner, a new Docker-in-Docker service)
 * learns the host's facts and what the engine sees of the project in werf's
 * own container, before werf starts: no container before werf's. Counted from
 * the engine's own event stream.
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
  it("creates no container before werf's: the probe and the project check run in werf's, before werf; a warm run probes not at all", async () => {
    const project = makeProject({ 'werf.yaml': 'project: cold\nconfigVersion: 1\n' }, { image: { reference: rig.WERF_RUN_RIG_SH_IMAGE } });
    cleanups.push(() => project.cleanup());
    const cache = mkdtempSync(path.join(os.tmpdir(), 'werf-run-it-cold-'));
    cleanups.push(() => rmSync(cache, { recursive: true, force: true }));
    const env = { XDG_CACHE_HOME: cache };

    // --dry-run says how the run would learn what it does not know yet, and creates nothing.
    const dry = await runWerfRun(['--dry-run', 'version'], { cwd: project.dir, env });
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(
      "# probe: a run would first learn the facts marked unknown: without a TTY in werf's own container, before werf",
    );

    const t0 = await engineNow();
    const cold = await runWerfRun(['--verbose', 'version'], { cwd: project.dir, env });
    const t1 = await engineNow();
    expect(cold.exitCode, cold.stderr).toBe(0);
    expect(cold.stdout).toContain('werf-sh test double');
    expect(cold.stderr).toContain("which werf's container checks is this checkout before werf starts");
    expect(cold.stderr).toContain('probe: the findings fit the plan; werf starts');
    // None of the probe's lines reach the user's stderr (they are werf-run's, taken out before werf's output).
    expect(cold.stderr).not.toMatch(/^werf-run-probe> /m);
    expect(cold.stderr).not.toMatch(/^werf-run-probe-end$/m);
    expect(cold.stdout).not.toContain('werf-run-probe');
    expect(await created(project.dir, t0, t1)).toEqual(['werf']);

    const warm = await runWerfRun(['version'], { cwd: project.dir, env });
    const t2 = await engineNow();
    expect(warm.exitCode, warm.stderr).toBe(0);
    expect(warm.stderr).not.toContain('probing what the Docker host can do');
    expect((await runWerfRun(['--dry-run', 'version'], { cwd: project.dir, env })).stdout).not.toContain('# probe:');
    expect(await created(project.dir, t1, t2)).toEqual(['werf']);
  });
});
