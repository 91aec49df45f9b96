/**
 * Issue 12 item 1 on the real engine: werf's image declares VOLUMEs werf-run
 * mounts nothing over, so every werf and probe container gets anonymous
 * volumes. They must go with the container, as with `docker run --rm`, on
 * every path. Other test runs share the engine, so only this project's
 * containers count: the engine's event log says which anonymous volumes
 * (64-hex names) were mounted into them, and none of those may be left.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { BIN, cleanEnv, makeProject, managedContainers, rig, runWerfRun, TEST_IMAGE, werfProject } from './support.js';

const FUSE_IMAGE = rig.WERF_RUN_RIG_FUSE_IMAGE!;
const BUSYBOX = rig.WERF_RUN_RIG_BUSYBOX!;

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function freshCache(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-it-cache-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const engineNow = async (): Promise<string> => (await execa('docker', ['info', '--format', '{{.SystemTime}}'])).stdout.trim();

const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** The anonymous volumes mounted into this project's containers between two engine times, and those still on the engine. */
async function anonymousVolumes(
  projectDir: string,
  since: string,
  until: string,
): Promise<{ containers: string[]; mounted: string[]; left: string[] }> {
  const window = ['--since', since, '--until', until];
  const containers = lines(
    (
      await execa('docker', [
        'events',
        ...window,
        '--filter',
        'type=container',
        '--filter',
        'event=create',
        '--filter',
        `label=werf-run.project=${projectDir}`,
        '--format',
        '{{.Actor.ID}}',
      ])
    ).stdout,
  );
  const mounts = lines(
    (
      await execa('docker', [
        'events',
        ...window,
        '--filter',
        'type=volume',
        '--filter',
        'event=mount',
        '--format',
        '{{.Actor.ID}} {{index .Actor.Attributes "container"}}',
      ])
    ).stdout,
  ).map((l) => l.split(' ') as [string, string]);
  const ours = new Set(containers);
  const mounted = [
    ...new Set(mounts.filter(([name, container]) => /^[0-9a-f]{64}$/.test(name) && ours.has(container)).map(([name]) => name)),
  ];
  const existing = new Set(lines((await execa('docker', ['volume', 'ls', '-q'])).stdout));
  const left = mounted.filter((v) => existing.has(v));
  // A failing test must not leak them either: they are this project's, nobody else's.
  if (left.length) cleanups.push(async () => void (await execa('docker', ['volume', 'rm', '-f', ...left], { reject: false })));
  return { containers, mounted, left };
}

/** Runs werf-run (cold cache) in a project of its own; its result and what the engine saw of its anonymous volumes. */
async function runAndSee(args: string[], p: { dir: string; cleanup(): Promise<void> }) {
  cleanups.push(() => p.cleanup());
  const t0 = await engineNow();
  const result = await runWerfRun(args, { cwd: p.dir, env: { XDG_CACHE_HOME: freshCache() } });
  const t1 = await engineNow();
  expect(result.exitCode, result.stderr).toBe(0);
  return { result, seen: await anonymousVolumes(p.dir, t0, t1) };
}

const DOCKERFILE = `FROM ${BUSYBOX}\nRUN echo built-for-volumes\n`;

describe('anonymous volumes go with their containers', () => {
  it('a build (werf container, the probe in it on a cold cache) leaves none of its anonymous volumes', async () => {
    const p = werfProject({ app: DOCKERFILE });
    const { seen } = await runAndSee(['build'], p);
    // werf's container (on a cold cache it probes and checks whether the engine sees this checkout, before werf),
    // with the image's VOLUMEs werf-run mounts nothing over.
    expect(seen.containers).toHaveLength(1);
    expect(seen.mounted.length).toBeGreaterThanOrEqual(1);
    expect(seen.left).toEqual([]);
    expect(await managedContainers(p.dir)).toEqual([]);
  });

  it('a recovery (native fails on fuse, fuse builds) leaves none of them', async () => {
    const { result, seen } = await runAndSee(['build'], werfProject({ app: DOCKERFILE }, { image: { reference: FUSE_IMAGE } }));
    expect(result.stderr).toMatch(/Retrying in mode fuse/);
    // native's werf (the probe and the project check before it) and fuse's werf.
    expect(seen.containers).toHaveLength(2);
    expect(seen.mounted.length).toBeGreaterThanOrEqual(2);
    expect(seen.left).toEqual([]);
  });

  it('doctor (its probe) leaves none of them', async () => {
    const { seen } = await runAndSee(['doctor'], makeProject({ 'README.md': 'x\n' }, { image: { reference: TEST_IMAGE } }));
    expect(seen.containers.length).toBeGreaterThanOrEqual(1);
    expect(seen.mounted.length).toBeGreaterThanOrEqual(2);
    expect(seen.left).toEqual([]);
  });

  it('Ctrl-C during a build leaves none of them', async () => {
    const p = werfProject({ slow: `FROM ${BUSYBOX}\nRUN echo slow-step-begins && sleep 60\n` });
    cleanups.push(() => p.cleanup());
    const t0 = await engineNow();
    const child = execa('node', [BIN, 'build'], {
      cwd: p.dir,
      env: cleanEnv({ XDG_CACHE_HOME: freshCache() }),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      all: true,
    });
    let text = '';
    child.all?.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const deadline = Date.now() + 120_000;
    while (!text.includes('slow-step-begins')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the build did not reach its slow step:\n${text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    const result = await child;
    const t1 = await engineNow();
    expect(result.exitCode, text).toBe(130);
    const seen = await anonymousVolumes(p.dir, t0, t1);
    // werf's container (the probe ran in it, before werf: a cold cache) with the image's VOLUMEs.
    expect(seen.mounted.length).toBeGreaterThanOrEqual(1);
    expect(seen.left).toEqual([]);
  });
});
