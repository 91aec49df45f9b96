import { describe, expect, it } from 'vitest';
import type { ContainerSummary } from '../engine/port.js';
import { findOrphans, ownerContainersToCheck, pidNamespaceOf, processStartOf, type ProcessState } from './orphans.js';

const container = (id: string, labels: Record<string, string>): ContainerSummary => ({
  id,
  image: 'i',
  state: 'running',
  labels,
  created: 0,
});
const owned = (id: string, pid: string, extra: Record<string, string> = {}) =>
  container(id, { 'werf-run.managed': 'true', 'werf-run.owner-host': 'here', 'werf-run.owner-pid': pid, ...extra });

describe('findOrphans', () => {
  const self = { host: 'here', pid: 10 };
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
