import { describe, expect, it } from 'vitest';
import type { ContainerSummary } from '../engine/port.js';
import { findOrphans, processStartOf, type ProcessState } from './orphans.js';

const container = (id: string, labels: Record<string, string>): ContainerSummary => ({ id, image: 'i', state: 'running', labels, created: 0 });
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
    expect(processStartOf(1, () => { throw new Error('ENOENT'); })).toBeUndefined();
  });
  it('reads this process for real on Linux', () => {
    if (process.platform === 'linux') expect(processStartOf('self')).toMatch(/^\d+$/);
  });
});
