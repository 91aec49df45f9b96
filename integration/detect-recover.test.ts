/**
 * Issue 3 on the real rig: detection (probe, cache, warm start), the mode
 * choice and recovery, each situation set up for real. The /dev/fuse cases run
 * against a second dockerd whose own mount namespace has /dev/fuse missing or
 * 0600 (the host's node, shared with other test runs, is never touched).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { containerCreates, managedContainers, rig, runWerfRun, werfProject, TEST_IMAGE, type CliResult } from './support.js';
import { startPrivateEngine, type PrivateEngine } from './engines/private-dev.js';

const FUSE_IMAGE = rig.WERF_RUN_RIG_FUSE_IMAGE!;
const BUSYBOX = rig.WERF_RUN_RIG_BUSYBOX!;
const DOCKERFILE = `FROM ${BUSYBOX}\nRUN echo built-by-issue3\n`;

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function project(config: Record<string, unknown> = {}, dockerfile = DOCKERFILE) {
  const p = werfProject({ app: dockerfile }, config);
  cleanups.push(() => p.cleanup());
  return p;
}

function cacheHome(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-it-cache-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function cacheEntries(home: string): { probe?: unknown; modes?: Record<string, { mode: string }>; key: { endpoint: string } }[] {
  const dir = path.join(home, 'werf-run');
  // The daemon files only: the trust store's cache beside them is not JSON.
  return readdirSync(dir)
    .filter((f) => f.startsWith('daemon-'))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
}

/** Containers of one role the engine created for a project between two times (the engine's own event log). */
async function createdContainers(projectDir: string, since: string, until: string, extra: string[] = [], host?: string): Promise<string[]> {
  const lines = await containerCreates(
    projectDir,
    since,
    until,
    '{{index .Actor.Attributes "werf-run.mode"}}|{{index .Actor.Attributes "werf-run.role"}}',
    { host, filters: extra },
  );
  // "mode|role" per created container, "-" for a label it does not have.
  return lines.map((line) =>
    line
      .split('|')
      .map((v) => (v === '' || v === '<no value>' ? '-' : v))
      .join('|'),
  );
}

const engineNow = async (host?: string): Promise<string> =>
  (await execa('docker', [...(host ? ['-H', host] : []), 'info', '--format', '{{.SystemTime}}'])).stdout.trim();

/** Runs werf-run and, while it runs, records the HostConfig of the werf containers the engine created. */
async function runAndCapture(
  args: string[],
  cwd: string,
  env: Record<string, string>,
  host?: string,
): Promise<{ result: CliResult; hostConfigs: Record<string, unknown>[] }> {
  const seen = new Map<string, Record<string, unknown>>();
  let done = false;
  const hostArgs = host ? ['-H', host] : [];
  const poll = (async () => {
    while (!done) {
      const ids = (
        await execa('docker', [...hostArgs, 'ps', '-q', '--filter', `label=werf-run.project=${cwd}`, '--filter', 'label=werf-run.mode'], {
          reject: false,
        })
      ).stdout
        .split('\n')
        .filter(Boolean);
      for (const id of ids) {
        if (seen.has(id)) continue;
        const inspect = await execa('docker', [...hostArgs, 'inspect', '--format', '{{json .HostConfig}}', id], { reject: false });
        if (inspect.exitCode === 0) seen.set(id, JSON.parse(inspect.stdout) as Record<string, unknown>);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const result = await runWerfRun(args, { cwd, env });
  done = true;
  await poll;
  return { result, hostConfigs: [...seen.values()] };
}

describe('an ordinary host (the rig engine, /dev/fuse 0666)', () => {
  it("probes once, in werf's own container, picks native, builds with nothing privileged and no device; a warm run probes not at all", async () => {
    const p = project({}, `FROM ${BUSYBOX}\nRUN sleep 2 && echo built-by-issue3\n`);
    const env = { XDG_CACHE_HOME: cacheHome() };
    const t0 = await engineNow();
    const cold = await runAndCapture(['--verbose', 'build'], p.dir, env);
    const t1 = await engineNow();
    expect(cold.result.exitCode, cold.result.stderr).toBe(0);
    expect(cold.result.stdout).toContain('built-by-issue3');
    expect(cold.result.stderr).toContain('probing what the Docker host can do');
    expect(cold.result.stderr).toContain('chose native');
    expect(cold.result.stderr).not.toContain('Retrying');
    // What the engine saw: the werf container, unconfined, not privileged, no device.
    expect(cold.hostConfigs).toHaveLength(1);
    expect(cold.hostConfigs[0]).toMatchObject({ Privileged: false, SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'] });
    expect((cold.hostConfigs[0]!.Devices as unknown[] | null) ?? []).toEqual([]);
    // The engine's event log: werf's container only; the probe (and the check of what the engine sees of the project) ran in it, before werf.
    expect(await createdContainers(p.dir, t0, t1)).toEqual(['native|-']);
    expect(cold.result.stderr).toContain('probe: the findings fit the plan; werf starts');
    const [entry] = cacheEntries(env.XDG_CACHE_HOME);
    // What the probe learned there is cached as a probe container's findings are; werf's native container has no /dev/fuse to test.
    expect(entry?.probe).toMatchObject({
      findings: { userNamespaces: { value: true }, rootlessOverlay: { value: true } },
      untested: ['fuseDevice'],
    });
    expect(Object.values(entry?.modes ?? {}).map((m) => m.mode)).toEqual(['native']);

    const warm = await runWerfRun(['--verbose', 'build'], { cwd: p.dir, env });
    const t2 = await engineNow();
    expect(warm.exitCode, warm.stderr).toBe(0);
    expect(warm.stderr).toContain('detect: cache used');
    expect(warm.stderr).not.toContain('probing what the Docker host can do');
    expect(await createdContainers(p.dir, t1, t2)).toEqual(['native|-']); // no probe, and the project's files are remembered

    const again = await runWerfRun(['--reprobe', 'build'], { cwd: p.dir, env });
    const t3 = await engineNow();
    expect(again.exitCode, again.stderr).toBe(0);
    // --reprobe: the probe again, in werf's container again (the cache says native worked, but --reprobe ignores it).
    expect(again.stderr).toContain('probing what the Docker host can do');
    expect(await createdContainers(p.dir, t2, t3)).toEqual(['native|-']);
    expect(await managedContainers(p.dir)).toEqual([]);
  });

  it('recovers to fuse when the image makes buildah use fuse-overlayfs, keeps all output, and starts in fuse next time', async () => {
    const p = project({ image: { reference: FUSE_IMAGE } });
    const env = { XDG_CACHE_HOME: cacheHome() };
    const first = await runAndCapture(['build'], p.dir, env);
    expect(first.result.exitCode, first.result.stderr).toBe(0);
    // werf's own failure line of the first attempt is still there, and so is the build.
    expect(first.result.stderr).toContain("fuse: device not found, try 'modprobe fuse' first");
    expect(first.result.stderr).toMatch(/mode native failed: .*Retrying in mode fuse/);
    expect(first.result.stdout).toContain('built-by-issue3');
    expect(first.hostConfigs.map((h) => ((h.Devices as { PathOnHost: string }[] | null) ?? []).map((d) => d.PathOnHost))).toContainEqual([
      '/dev/fuse',
    ]);
    expect(first.hostConfigs.every((h) => h.Privileged === false)).toBe(true);

    const second = await runWerfRun(['build'], { cwd: p.dir, env });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).toContain('in mode fuse');
    expect(second.stderr).not.toContain('Retrying');
    expect(await managedContainers(p.dir)).toEqual([]);
  });

  it("--mode default (the engine's default security) fails for real on unshare(CLONE_NEWUSER) and, pinned, names --mode native instead of switching", async () => {
    const p = project();
    const env = { XDG_CACHE_HOME: cacheHome() };
    const t0 = await engineNow();
    const result = await runWerfRun(['--mode', 'default', 'build'], { cwd: p.dir, env });
    const t1 = await engineNow();
    expect(result.stderr).toContain('Error during unshare(CLONE_NEWUSER): Operation not permitted');
    expect(result.stderr).not.toContain('Retrying');
    expect(result.stderr).toContain(
      'werf-run: error: werf cannot run in the forced mode default on this Docker host: seccomp or AppArmor forbids user namespaces',
    );
    expect(result.stderr).toContain(
      "fix: run in mode native: --mode native (or --mode auto, which chooses from the host's facts and recovers), instead of the forced mode default",
    );
    expect(result.exitCode).toBe(125);
    // Besides the probe and the project check (cold cache), werf ran once, in the forced mode only.
    expect((await createdContainers(p.dir, t0, t1)).filter((c) => !c.endsWith('|probe') && !c.endsWith('|project-check'))).toEqual([
      'default|-',
    ]);
    expect(await managedContainers(p.dir)).toEqual([]);
  });

  it('a forced native run whose image needs fuse stops with --mode fuse (not a docker flag)', async () => {
    const p = project({ image: { reference: FUSE_IMAGE } });
    const env = { XDG_CACHE_HOME: cacheHome() };
    const result = await runWerfRun(['--mode', 'native', 'build'], { cwd: p.dir, env });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain("fuse: device not found, try 'modprobe fuse' first");
    expect(result.stderr).not.toContain('Retrying');
    const error = result.stderr.slice(result.stderr.indexOf('werf-run: error:'));
    expect(error).toContain(
      'werf cannot run in the forced mode native on this Docker host: buildah uses fuse-overlayfs but the container has no /dev/fuse',
    );
    // The probe found rootless overlayfs works here: the image, not the kernel, wants fuse, and the message says so.
    expect(error).toContain(
      "the kernel can mount overlayfs rootless, but the image's storage settings or the storage volume make buildah use fuse-overlayfs",
    );
    expect(error).not.toContain('no rootless overlayfs here');
    expect(error).toContain(
      "fix: run in mode fuse: --mode fuse (or --mode auto, which chooses from the host's facts and recovers), instead of the forced mode native",
    );
    expect(error).not.toContain('--device');
    expect(await managedContainers(p.dir)).toEqual([]);
  });

  it('overrides replace probing: --dry-run shows the mode they lead to, and a host where no mode can work stops before creating anything', async () => {
    const p = project();
    const env = { XDG_CACHE_HOME: cacheHome() };
    const dry = await runWerfRun(['--dry-run', '--detect', 'rootlessOverlay=false', 'build'], { cwd: p.dir, env });
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^# mode: +fuse /m);
    expect(dry.stdout).toContain('--device /dev/fuse');
    const t0 = await engineNow();
    const none = await runWerfRun(
      ['--detect', 'rootlessOverlay=false', '--detect', 'fuseDevice=missing', '--detect', 'userNamespaces=true', 'build'],
      { cwd: p.dir, env },
    );
    const t1 = await engineNow();
    expect(none.exitCode).toBe(125);
    expect(none.stderr).toContain('no mode can work on this Docker host');
    expect(none.stderr).toContain('fix: on the Docker host: modprobe fuse');
    // The overrides leave no mode: the run stops before werf's container (which would have probed the rest) is created.
    expect(await createdContainers(p.dir, t0, t1)).toEqual([]);
  });

  it('doctor reports native with every capability learned by the probe, as one JSON document', async () => {
    const p = project();
    const result = await runWerfRun(['doctor', '--json'], { cwd: p.dir, env: { XDG_CACHE_HOME: cacheHome() } });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      mode: string;
      image: { reference: string };
      facts: Record<string, { value: unknown; source: string }>;
    };
    expect(report).toMatchObject({ ok: true, mode: 'native', image: { reference: TEST_IMAGE } });
    expect(report.facts.rootlessOverlay).toMatchObject({ value: true, source: 'probe' });
    expect(report.facts.fuseDevice).toMatchObject({ value: 'usable', source: 'probe' });
    expect(report.facts.selinux).toMatchObject({ value: false, source: 'info' });
  });
});

describe('a Docker host whose /dev/fuse is 0600', () => {
  let engine: PrivateEngine;
  beforeAll(async () => {
    engine = await startPrivateEngine('0600', [TEST_IMAGE, FUSE_IMAGE]);
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it.each([[false], [true]])(
    'fuse needed, privileged allowed=%s: the fuse attempt meets the 0600 node, stops with the chmod remedy, never privileged; the next run stops at once',
    async (allow) => {
      const p = project({ image: { reference: FUSE_IMAGE } });
      const env = { XDG_CACHE_HOME: cacheHome(), DOCKER_HOST: engine.host };
      const args = [...(allow ? ['--allow-privileged'] : []), 'build'];
      const t0 = await engineNow(engine.host);
      const result = await runWerfRun(args, { cwd: p.dir, env });
      const t1 = await engineNow(engine.host);
      expect(result.exitCode, result.stderr).toBe(125);
      expect(result.stderr).toContain('fix: on the Docker host: chmod 0666 /dev/fuse');
      // The probe ran in werf's native container, which has no /dev/fuse to try: the fuse attempt is the test.
      expect(result.stderr).toContain('Retrying in mode fuse');
      expect(result.stderr).toContain('fuse: failed to open /dev/fuse: Permission denied');
      expect(await createdContainers(p.dir, t0, t1, [], engine.host)).toEqual(['native|-', 'fuse|-']);
      // It learned fuseDevice=no-permission: the next run makes no doomed fuse attempt.
      const again = await runWerfRun(args, { cwd: p.dir, env });
      const t2 = await engineNow(engine.host);
      expect(again.exitCode, again.stderr).toBe(125);
      expect(again.stderr).toContain('fix: on the Docker host: chmod 0666 /dev/fuse');
      expect(again.stderr).not.toContain('Retrying');
      expect(await createdContainers(p.dir, t1, t2, [], engine.host)).toEqual(['native|-']);
    },
  );

  it('a forced fuse attempt hits the real permission error and stops without escalating', async () => {
    const p = project({ image: { reference: FUSE_IMAGE } });
    const result = await runWerfRun(['--mode', 'fuse', '--allow-privileged', 'build'], {
      cwd: p.dir,
      env: { XDG_CACHE_HOME: cacheHome(), DOCKER_HOST: engine.host },
    });
    expect(result.stderr).toContain('fuse: failed to open /dev/fuse: Permission denied');
    expect(result.stderr).toContain('chmod 0666 /dev/fuse');
    expect(result.stderr).not.toContain('Retrying');
    expect(result.exitCode).toBe(125);
  });

  it('doctor: native still works (no fuse needed), and the 0600 node is reported with its fix', async () => {
    const p = project();
    const result = await runWerfRun(['doctor'], { cwd: p.dir, env: { XDG_CACHE_HOME: cacheHome(), DOCKER_HOST: engine.host } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/fuseDevice: no-permission \[probe\]/);
    expect(result.stdout).toContain('mode: native');
    expect(result.stdout).toContain('fix: on the Docker host: chmod 0666 /dev/fuse');
  });
});

describe('a Docker host without /dev/fuse', () => {
  let engine: PrivateEngine;
  beforeAll(async () => {
    engine = await startPrivateEngine('missing', [TEST_IMAGE, FUSE_IMAGE]);
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it.each([[false], [true]])('fuse needed, privileged allowed=%s: stops with the modprobe remedy, never privileged', async (allow) => {
    const p = project({ image: { reference: FUSE_IMAGE } });
    const env = { XDG_CACHE_HOME: cacheHome(), DOCKER_HOST: engine.host };
    const t0 = await engineNow(engine.host);
    const result = await runWerfRun([...(allow ? ['--allow-privileged'] : []), 'build'], { cwd: p.dir, env });
    const t1 = await engineNow(engine.host);
    expect(result.exitCode, result.stderr).toBe(125);
    expect(result.stderr).toContain('fix: on the Docker host: modprobe fuse');
    // The probe ran in werf's native container (no device asked for); the engine refused the fuse attempt's
    // device when starting it, so werf never ran there: no privileged attempt either.
    expect(await createdContainers(p.dir, t0, t1, [], engine.host)).toEqual(['native|-', 'fuse|-']);
    expect(result.stderr).toContain('Retrying in mode fuse');
  });

  it('forced fuse: the engine refuses the device and werf-run, pinned, names --mode native (auto runs native and builds)', async () => {
    const p = project();
    const env = { XDG_CACHE_HOME: cacheHome(), DOCKER_HOST: engine.host };
    const forced = await runWerfRun(['--mode', 'fuse', 'build'], { cwd: p.dir, env });
    expect(forced.exitCode).toBe(125);
    expect(forced.stderr).not.toContain('Retrying');
    expect(forced.stderr).toContain('werf cannot run in the forced mode fuse on this Docker host: the Docker host has no /dev/fuse device');
    expect(forced.stderr).toContain('fix: run in mode native: --mode native (or --mode auto');
    const auto = await runWerfRun(['build'], { cwd: p.dir, env });
    expect(auto.stdout).toContain('built-by-issue3');
    expect(auto.exitCode, auto.stderr).toBe(0);
    expect(await managedContainers(p.dir)).toEqual([]);
  });

  it('a stale cache (written when the host still had /dev/fuse) is disproved by the run, dropped, and the next run probes', async () => {
    const p = project({ image: { reference: FUSE_IMAGE } });
    const env = { XDG_CACHE_HOME: cacheHome(), DOCKER_HOST: engine.host };
    // Record this engine's cache entry for real, then make it stale the way a host changes under it:
    // the entry keeps the probe result of the ordinary rig engine (fuse usable).
    const seed = await runWerfRun(['doctor'], { cwd: p.dir, env });
    expect(seed.stdout).toMatch(/fuseDevice: missing \[probe\]/);
    const home = mkdtempSync(path.join(os.tmpdir(), 'werf-run-it-cache-'));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    await runWerfRun(['doctor'], { cwd: p.dir, env: { XDG_CACHE_HOME: home } });
    const ordinaryProbe = cacheEntries(home)[0]!.probe;
    const file = path.join(
      env.XDG_CACHE_HOME,
      'werf-run',
      readdirSync(path.join(env.XDG_CACHE_HOME, 'werf-run')).find((name) => name.startsWith('daemon-'))!,
    );
    const entry = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    await import('node:fs').then((fs) => fs.writeFileSync(file, JSON.stringify({ ...entry, probe: ordinaryProbe })));

    const stale = await runWerfRun(['--verbose', 'build'], { cwd: p.dir, env });
    expect(stale.stderr).toContain('detect: cache used');
    expect(stale.stderr).toMatch(/Retrying in mode fuse/);
    expect(stale.stderr).toContain('the run disproved fuseDevice');
    expect(stale.stderr).toContain('fix: on the Docker host: modprobe fuse');
    expect(stale.exitCode).toBe(125);

    // The next run probes again, in werf's native container, which cannot see /dev/fuse: its fuse attempt shows the device is missing.
    const next = await runWerfRun(['--verbose', 'build'], { cwd: p.dir, env });
    expect(next.stderr).toContain('probing what the Docker host can do');
    expect(next.stderr).toContain('the fuse attempt showed fuseDevice=missing; cached for the next run');
    expect(next.exitCode).toBe(125);
    // And the one after stops at once.
    const last = await runWerfRun(['build'], { cwd: p.dir, env });
    expect(last.stderr).toContain('fix: on the Docker host: modprobe fuse');
    expect(last.stderr).not.toContain('Retrying');
    expect(last.exitCode).toBe(125);
  });
});

describe('an image whose newuidmap/newgidmap are setuid instead of file-capable', () => {
  // Made here from the rig image, as a real image with that flaw would be:
  // buildah warns, falls back to a single uid mapping, and the build then fails.
  const SUID_IMAGE = 'werf-run-test/werf-suid:it';
  beforeAll(async () => {
    const name = `werf-run-it-suid-${process.pid}`;
    await execa('docker', ['rm', '-fv', name], { reject: false });
    await execa('docker', [
      'run',
      '--name',
      name,
      '--user',
      'root',
      '--network',
      'none',
      TEST_IMAGE,
      'sh',
      '-c',
      'setcap -r /usr/bin/newuidmap && setcap -r /usr/bin/newgidmap && chmod u+s /usr/bin/newuidmap /usr/bin/newgidmap',
    ]);
    await execa('docker', ['commit', '-c', 'USER build', name, SUID_IMAGE]);
    await execa('docker', ['rm', '-v', name]);
  });
  afterAll(async () => {
    await execa('docker', ['rmi', SUID_IMAGE], { reject: false });
  });

  it('without permission: stops after the native attempt with the image remedy, never privileged', async () => {
    const p = project({ image: { reference: SUID_IMAGE, pull: 'never' } });
    const t0 = await engineNow();
    const result = await runWerfRun(['build'], { cwd: p.dir, env: { XDG_CACHE_HOME: cacheHome() } });
    const t1 = await engineNow();
    expect(result.stderr).toContain('Falling back to single mapping');
    expect(result.stderr).toContain('potentially insufficient UIDs or GIDs available in user namespace');
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain('fix: use an image whose newuidmap/newgidmap carry cap_setuid/cap_setgid file capabilities');
    expect(await createdContainers(p.dir, t0, t1)).toEqual(['native|-']);
  });

  it('with --allow-privileged: recovers to privileged and builds', async () => {
    const p = project({ image: { reference: SUID_IMAGE, pull: 'never' } });
    const t0 = await engineNow();
    const result = await runWerfRun(['--allow-privileged', 'build'], { cwd: p.dir, env: { XDG_CACHE_HOME: cacheHome() } });
    const t1 = await engineNow();
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/mode native failed: .*single uid mapping.*Retrying in mode privileged/);
    expect(result.stdout).toContain('built-by-issue3');
    expect(await createdContainers(p.dir, t0, t1)).toEqual(['native|-', 'privileged|-']);
    expect(await managedContainers(p.dir)).toEqual([]);
  });
});
