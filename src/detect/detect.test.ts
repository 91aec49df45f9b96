import type { IdRange } from './id-range.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema, type ConfigInput } from '../config/schema.js';
import type { EngineInfo } from '../engine/port.js';
import { DaemonCache, daemonKey, modeKey } from './cache.js';
import { NO_ENGINE, detect, type EngineSource } from './detect.js';
import type { ProbeOutcome } from './probe-script.js';

const info: EngineInfo = {
  id: 'ID',
  name: 'host',
  product: 'docker',
  serverVersion: '27.0',
  apiVersion: '1.46',
  kernelVersion: '6.1',
  operatingSystem: 'Debian',
  osType: 'linux',
  architecture: 'x86_64',
  storageDriver: 'overlay2',
  securityOptions: ['name=seccomp,profile=default', 'name=selinux'],
  cgroupVersion: '2',
  dockerRootDir: '/var/lib/docker',
};
const target = { image: 'reg/werf:2', user: 'build', labels: {} };
const probed: ProbeOutcome = {
  findings: {
    userNamespaces: { value: true, detail: 'unshare -Ur: ok' },
    rootlessOverlay: { value: true, detail: 'mount -t overlay: ok' },
    fuseDevice: { value: 'usable', detail: 'opened /dev/fuse' },
    maxUserNamespaces: { value: 15000, detail: 'sysctl' },
    apparmorRestrictUserns: { value: -1, detail: 'absent' },
    unprivilegedUsernsClone: { value: -1, detail: 'absent' },
    idRange: { value: rootfulIds(), detail: 'uids 0-4294967294 in the container' },
    binfmt: { value: { programs: { amd64: { runs: true, detail: 'exited 42' } } }, detail: 'test programs: amd64 runs' },
  },
  unknown: {},
};

function rootfulIds(available = 4294967295): IdRange {
  const side = { available, needed: 165536, own: 1000, sub: [{ start: 100000, count: 65536 }] };
  return { enough: available >= 165536, user: 'build', uids: side, gids: side };
}

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const newCache = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-detect-'));
  dirs.push(dir);
  return new DaemonCache(dir, daemonKey('unix:///fake.sock', info));
};

/** An engine source whose probe answers `outcome` and counts its runs. */
function engineSource(cache: DaemonCache, outcome: ProbeOutcome | { skip: string } = probed) {
  const runs: string[] = [];
  const source: EngineSource = {
    url: 'unix:///fake.sock',
    info,
    cache,
    probe: 'skip' in outcome ? outcome : { run: async (t) => (runs.push(t.image), outcome) },
  };
  return { source, runs };
}

const config = (input: ConfigInput = {}) => configSchema.parse(input);
const outcomes = (tried: { source: string; outcome: string; detail: string }[]) =>
  tried.map((t) => `${t.source} ${t.outcome}: ${t.detail}`);

describe('detect', () => {
  it('without an engine: only the overrides count, and every other source says why not', async () => {
    const detection = await detect({ config: config({ detect: { fuseDevice: 'missing' } }), engine: undefined, reprobe: false, target });
    expect(outcomes(detection.tried)).toEqual([
      'override used: detect.fuseDevice',
      `info skipped: ${NO_ENGINE}`,
      `cache skipped: ${NO_ENGINE}`,
      `probe skipped: ${NO_ENGINE}`,
    ]);
    expect(detection.facts.fuseDevice).toMatchObject({ value: 'missing', source: 'override' });
    expect(detection.facts.userNamespaces.value).toBeUndefined();
    expect(detection.facts.userNamespaces.detail).toContain(`info skipped (${NO_ENGINE})`);
    expect(detection.remembered).toBeUndefined();
  });

  it('probes what /info cannot tell, says so before, and caches what the probe learned', async () => {
    const cache = newCache();
    const { source, runs } = engineSource(cache);
    let announced = 0;
    const detection = await detect({ config: config(), engine: source, reprobe: false, target, onProbe: () => announced++ });
    expect(runs).toEqual(['reg/werf:2']);
    expect(announced).toBe(1);
    expect(detection.facts.selinux).toMatchObject({ value: true, source: 'info' });
    expect(detection.facts.rootlessOverlay).toMatchObject({ value: true, source: 'probe' });
    expect(cache.read().entry?.probe?.findings).toEqual(probed.findings);
  });

  it("a cached too small id range is probed again (raising the ids keeps the daemon's identity)", async () => {
    const cache = newCache();
    const small = { ...probed.findings, idRange: { value: rootfulIds(65537), detail: 'uids 0-65536 in the container' } };
    cache.update((entry) => ({ ...entry, probe: { at: '2026-01-01T00:00:00Z', image: 'reg/werf:2', findings: small } }));
    const { source, runs } = engineSource(cache);
    const detection = await detect({ config: config(), engine: source, reprobe: false, target });
    expect(runs).toEqual(['reg/werf:2']);
    expect(outcomes(detection.tried)).toContainEqual(expect.stringContaining('its too small id range is probed again'));
    expect(detection.facts.idRange).toMatchObject({ value: { enough: true }, source: 'probe' });
  });

  it('a cache entry written before the probe learned binfmt: the probe runs once more (no format change needed), then warm runs none', async () => {
    const cache = newCache();
    const { binfmt: _, ...older } = probed.findings;
    cache.update((entry) => ({ ...entry, probe: { at: '2026-01-01T00:00:00Z', image: 'reg/werf:2', findings: older } }));
    const { source, runs } = engineSource(cache);
    const first = await detect({ config: config(), engine: source, reprobe: false, target });
    expect(runs).toEqual(['reg/werf:2']);
    expect(first.facts.binfmt).toMatchObject({ source: 'probe', value: { programs: { amd64: { runs: true } } } });
    await detect({ config: config(), engine: source, reprobe: false, target });
    expect(runs).toEqual(['reg/werf:2']);
  });

  it('a probe that could not learn a fact says so in the cache: the next run does not probe for it again', async () => {
    const cache = newCache();
    const { fuseDevice: _, ...noFuse } = probed.findings;
    const { source, runs } = engineSource(cache, {
      findings: noFuse,
      unknown: { fuseDevice: 'fuse absent /dev/fuse is not in the container' },
    });
    await detect({ config: config(), engine: source, reprobe: false, target });
    expect(cache.read().entry?.probe?.untested).toEqual(['fuseDevice']);
    const warm = await detect({ config: config(), engine: source, reprobe: false, target });
    expect(runs).toEqual(['reg/werf:2']);
    expect(outcomes(warm.tried)).toContain('probe skipped: the cached probe could not learn fuseDevice (--reprobe probes again)');
    expect(warm.facts.fuseDevice.value).toBeUndefined();
    await detect({ config: config(), engine: source, reprobe: '--reprobe', target });
    expect(runs).toEqual(['reg/werf:2', 'reg/werf:2']);
  });

  it("a probe left to werf's container runs none here and says so; with the facts cached it is not deferred at all", async () => {
    const cache = newCache();
    const source: EngineSource = { url: 'unix:///fake.sock', info, cache, probe: { defer: "left to werf's container" } };
    const cold = await detect({ config: config(), engine: source, reprobe: false, target });
    expect(cold.probeDeferred).toBe(true);
    expect(outcomes(cold.tried)).toContain("probe skipped: left to werf's container");
    expect(cold.facts.userNamespaces.value).toBeUndefined();
    cache.update((entry) => ({ ...entry, probe: { at: '2026-01-01T00:00:00Z', image: 'reg/werf:2', findings: probed.findings } }));
    expect((await detect({ config: config(), engine: source, reprobe: false, target })).probeDeferred).toBe(false);
    expect(
      (await detect({ config: config({ detect: { probe: false } }), engine: source, reprobe: '--reprobe', target })).probeDeferred,
    ).toBe(false);
  });

  it('a warm run takes the facts and the remembered mode from the cache, and runs no probe', async () => {
    const cache = newCache();
    cache.update((entry) => ({
      ...entry,
      probe: { at: '2026-01-01T00:00:00Z', image: 'reg/werf:2', findings: probed.findings },
      modes: { [modeKey('reg/werf:2', 'werf-run-buildah-storage')]: { mode: 'fuse', at: '2026-01-01T00:00:00Z' } },
    }));
    const { source, runs } = engineSource(cache);
    const detection = await detect({ config: config(), engine: source, reprobe: false, target });
    expect(runs).toEqual([]);
    expect(outcomes(detection.tried).at(-1)).toBe('probe skipped: every fact it learns is already known');
    expect(detection.facts.fuseDevice).toMatchObject({ value: 'usable', source: 'cache' });
    expect(detection.remembered).toBe('fuse');

    const again = await detect({ config: config(), engine: source, reprobe: '--reprobe', target });
    expect(outcomes(again.tried)).toContain('cache skipped: --reprobe');
    expect(again.remembered).toBeUndefined();
    expect(runs).toEqual(['reg/werf:2']);
    // doctor ignores the cache without --reprobe: the outcome (and every unknown fact's evidence) says its own reason.
    const doctor = await detect({ config: config(), engine: source, reprobe: 'doctor always probes afresh', target });
    expect(outcomes(doctor.tried)).toContain('cache skipped: doctor always probes afresh');
    expect(doctor.remembered).toBeUndefined();
  });

  it.each([
    ['the command creates no container', { skip: '--dry-run creates no container' }, {}, 'probe skipped: --dry-run creates no container'],
    ['detect.probe is false', probed, { detect: { probe: false } }, 'probe skipped: detect.probe is false'],
    [
      'the probe container failed',
      { findings: {}, unknown: { fuseDevice: 'the probe container failed: boom' }, error: 'the probe container failed: boom' },
      {},
      'probe failed: the probe container failed: boom',
    ],
  ] as const)('leaves the probed facts unknown when %s', async (_why, outcome, input, said) => {
    const { source } = engineSource(newCache(), outcome as ProbeOutcome | { skip: string });
    const detection = await detect({ config: config(input as ConfigInput), engine: source, reprobe: false, target });
    expect(outcomes(detection.tried).at(-1)).toBe(said);
    expect(detection.facts.fuseDevice.value).toBeUndefined();
  });
});
