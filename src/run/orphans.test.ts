import { afterAll, describe, expect, it } from 'vitest';
import type { ContainerSummary } from '../engine/port.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { persistentHostId } from '../detect/host-id.js';
import {
  findOrphans,
  ownerContainersToCheck,
  ownerLabels,
  pidNamespaceOf,
  pidPlace,
  processStartOf,
  type ProcessState,
} from './orphans.js';

const container = (id: string, labels: Record<string, string>): ContainerSummary => ({
  id,
  image: 'i',
  state: 'running',
  labels,
  created: 0,
});
const owned = (id: string, pid: string, extra: Record<string, string> = {}) =>
  container(id, {
    'werf-run.managed': 'true',
    'werf-run.owner-host': 'here',
    'werf-run.owner-pid': pid,
    'werf-run.owner-pidns': 'ns',
    ...extra,
  });

describe('findOrphans', () => {
  const self = { host: 'here', pid: 10, pidNamespace: 'ns' };
  const states: Record<number, ProcessState> = {
    20: { alive: true, start: '500' },
    30: { alive: false },
    40: { alive: true },
  };
  const state = (pid: number): ProcessState => states[pid] ?? { alive: false };

  it('takes containers whose owner PID is not alive', () => {
    expect(findOrphans([owned('a', '30')], self, state)).toEqual([{ id: 'a', pid: 30, why: 'its werf-run (PID 30) is gone' }]);
  });

  it('takes a live PID whose start time differs from the recorded one (PID reused)', () => {
    expect(findOrphans([owned('a', '20', { 'werf-run.owner-start': '499' })], self, state).map((o) => o.id)).toEqual(['a']);
  });

  it('leaves live owners alone, also when a start time is unknown on either side', () => {
    const list = [owned('a', '20', { 'werf-run.owner-start': '500' }), owned('b', '20'), owned('c', '40', { 'werf-run.owner-start': '1' })];
    expect(findOrphans(list, self, state)).toEqual([]);
  });

  it("never touches a container of another PID namespace on the same host name (host network: another container's PIDs), nor one that names none", () => {
    const here = { host: 'here', pid: 10, pidNamespace: 'boot-1/pid:[4026531836]' };
    const list = [
      owned('mine', '30', { 'werf-run.owner-pidns': 'boot-1/pid:[4026531836]' }),
      owned('other-container', '30', { 'werf-run.owner-pidns': 'boot-1/pid:[4026532001]' }),
      owned('other-boot', '30', { 'werf-run.owner-pidns': 'boot-2/pid:[4026531836]' }),
      owned('older-werf-run', '30'),
    ];
    expect(findOrphans(list, here, state).map((o) => o.id)).toEqual(['mine']);
  });

  it("judges a container made from another container (a CI job with the host's socket) by whether that container still runs", () => {
    const here = { host: 'vm', pid: 10, pidNamespace: 'boot-1/pid:[1]' };
    const job = (id: string, from: string | undefined) =>
      container(id, {
        'werf-run.managed': 'true',
        'werf-run.owner-host': from ?? 'vm',
        'werf-run.owner-pid': '7',
        'werf-run.owner-pidns': 'boot-1/pid:[2]',
        ...(from ? { 'werf-run.owner-container': from } : {}),
      });
    const list = [
      job('of-gone-job', 'a'.repeat(64)),
      job('of-live-job', 'b'.repeat(64)),
      job('of-unasked', 'c'.repeat(64)),
      job('of-unnamed', undefined),
    ];
    expect(ownerContainersToCheck(list, here)).toEqual(['a'.repeat(64), 'b'.repeat(64), 'c'.repeat(64)]);
    const running: Record<string, boolean> = { ['a'.repeat(64)]: false, ['b'.repeat(64)]: true };
    expect(findOrphans(list, here, state, (id) => running[id])).toEqual([
      { id: 'of-gone-job', pid: 7, why: `the container its werf-run ran in (${'a'.repeat(12)}) is gone or stopped` },
    ]);
    // Our own container's other runs are judged by PID, never by our container (it runs).
    expect(ownerContainersToCheck(list, { ...here, container: 'a'.repeat(64) })).toEqual(['b'.repeat(64), 'c'.repeat(64)]);
  });

  it('never touches other hosts, our own PID, unmanaged or unlabelled containers', () => {
    const list = [
      container('a', { 'werf-run.managed': 'true', 'werf-run.owner-host': 'elsewhere', 'werf-run.owner-pid': '30' }),
      owned('b', '10'),
      container('c', { 'werf-run.owner-host': 'here', 'werf-run.owner-pid': '30' }),
      owned('d', 'x'),
      container('e', { 'werf-run.managed': 'true', 'werf-run.owner-host': 'here' }),
    ];
    expect(findOrphans(list, self, state)).toEqual([]);
  });
});

describe('processStartOf', () => {
  it('reads field 22 even when the command name holds spaces and parentheses', () => {
    const stat = '123 (node (x) y) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 4242 19 20';
    expect(processStartOf(123, () => stat)).toBe('4242');
  });
  it('is undefined without /proc', () => {
    expect(
      processStartOf(1, () => {
        throw new Error('ENOENT');
      }),
    ).toBeUndefined();
  });
  it('reads this process for real on Linux', () => {
    if (process.platform === 'linux') expect(processStartOf('self')).toMatch(/^\d+$/);
  });
});

describe('two machines with the same hostname and no PID namespace (macOS, Windows) on one engine', () => {
  // Each machine's own cache dir holds its own random id; the containers carry it in their labels.
  const dirs = [mkdtempSync(path.join(os.tmpdir(), 'werf-run-host-a-')), mkdtempSync(path.join(os.tmpdir(), 'werf-run-host-b-'))];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const noLinux = undefined;
  const [a, b] = dirs.map((dir) => ({ host: 'MacBook-Pro.local', pid: 500, pidNamespace: pidPlace(noLinux, () => persistentHostId(dir)) }));
  const labelled = (id: string, owner: { host: string; pidNamespace?: string }, pid: number) =>
    container(id, {
      'werf-run.managed': 'true',
      ...ownerLabels({ host: owner.host, pid, startedAt: '2026-01-01T00:00:00.000Z', pidNamespace: owner.pidNamespace }),
    });
  // PID 600 is alive on B (B's werf-run builds) and not on A.
  const onA = (pid: number): ProcessState => (pid === 600 ? { alive: false } : { alive: true });

  it("A never takes B's live container for an orphan, though B's PID is not alive on A; A's own dead run's container is A's", () => {
    expect(a!.pidNamespace).toMatch(/^host-id\/[0-9a-f-]{36}$/);
    expect(a!.pidNamespace).not.toBe(b!.pidNamespace);
    const list = [labelled('of-b-live', b!, 600), labelled('of-a-dead', a!, 600)];
    expect(findOrphans(list, a!, onA).map((o) => o.id)).toEqual(['of-a-dead']);
  });

  it('the id persists: the next run on A judges by the same one', () => {
    expect(pidPlace(noLinux, () => persistentHostId(dirs[0]!))).toBe(a!.pidNamespace);
    expect(readFileSync(path.join(dirs[0]!, 'host-id'), 'utf8').trim()).toBe(a!.pidNamespace!.slice('host-id/'.length));
  });

  it('no id at all (an unwritable cache dir, a spoiled file): no PIDs are judged, not even by hostname', () => {
    const spoiled = mkdtempSync(path.join(os.tmpdir(), 'werf-run-host-c-'));
    writeFileSync(path.join(spoiled, 'host-id'), 'not an id\n');
    const c = { host: 'MacBook-Pro.local', pid: 500, pidNamespace: pidPlace(noLinux, () => persistentHostId(spoiled)) };
    rmSync(spoiled, { recursive: true, force: true });
    expect(c.pidNamespace).toBeUndefined();
    expect(findOrphans([labelled('no-ns', { host: 'MacBook-Pro.local' }, 600)], c, onA)).toEqual([]);
  });

  it('Linux keeps its boot id and PID namespace; the host id is not even read', () => {
    expect(
      pidPlace('boot/pid:[1]', () => {
        throw new Error('read');
      }),
    ).toBe('boot/pid:[1]');
  });
});

describe('pidNamespaceOf', () => {
  it('joins the boot id and the PID namespace link', () => {
    expect(
      pidNamespaceOf(
        () => 'b00t\n',
        () => 'pid:[4026532001]',
      ),
    ).toBe('b00t/pid:[4026532001]');
    expect(
      pidNamespaceOf(
        () => {
          throw new Error('ENOENT');
        },
        () => 'pid:[1]',
      ),
    ).toBeUndefined();
  });
  it('reads this process for real on Linux', () => {
    if (process.platform === 'linux') expect(pidNamespaceOf()).toMatch(/^[0-9a-f-]{36}\/pid:\[\d+\]$/);
  });
});
