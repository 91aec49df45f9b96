/**
 * Containers left behind by a werf-run that died without cleaning up (SIGKILL,
 * a crash, a lost CI job). A container is an orphan only when its owner is
 * provably gone: same host as us, and its PID is not alive, or is alive but is
 * another process now (the start time differs: the PID was reused). Containers
 * of live owners, of other hosts, or without owner labels are never touched.
 */
import { readFileSync } from 'node:fs';
import { MANAGED_LABEL } from '../plan/plan.js';
import type { ContainerSummary, Engine } from '../engine/port.js';

export interface Owner {
  host: string;
  pid: number;
  startedAt: string;
  /** The owner process's start time as the OS counts it (Linux: /proc/<pid>/stat field 22), to tell a reused PID apart. */
  processStart?: string;
}

/** The labels that name a container's owner: written by trackingEngine (live-containers.ts), read by findOrphans. */
const OWNER_LABELS = {
  host: 'werf-run.owner-host',
  pid: 'werf-run.owner-pid',
  startedAt: 'werf-run.started-at',
  processStart: 'werf-run.owner-start',
} as const;

export function ownerLabels(owner: Owner): Record<string, string> {
  return {
    [OWNER_LABELS.host]: owner.host,
    [OWNER_LABELS.pid]: String(owner.pid),
    [OWNER_LABELS.startedAt]: owner.startedAt,
    ...(owner.processStart === undefined ? {} : { [OWNER_LABELS.processStart]: owner.processStart }),
  };
}

/** What the OS says about a PID: not alive, or alive with a start time when the OS tells one. */
export type ProcessState = { alive: false } | { alive: true; start?: string };

export interface OrphanVerdict {
  id: string;
  pid: number;
  why: string;
}

/** Pure: which of `containers` belong to a dead owner on `host`. */
export function findOrphans(
  containers: readonly ContainerSummary[],
  self: { host: string; pid: number },
  processState: (pid: number) => ProcessState,
): OrphanVerdict[] {
  const orphans: OrphanVerdict[] = [];
  for (const c of containers) {
    const labels = c.labels;
    if (labels[MANAGED_LABEL] !== 'true' || labels[OWNER_LABELS.host] !== self.host) continue;
    const pidText = labels[OWNER_LABELS.pid] ?? '';
    if (!/^[1-9][0-9]*$/.test(pidText)) continue;
    const pid = Number(pidText);
    if (pid === self.pid) continue;
    const state = processState(pid);
    if (!state.alive) {
      orphans.push({ id: c.id, pid, why: `its werf-run (PID ${pid}) is gone` });
      continue;
    }
    const recorded = labels[OWNER_LABELS.processStart];
    // Without both start times we cannot tell a reused PID from the owner: leave it.
    if (recorded !== undefined && state.start !== undefined && recorded !== state.start) {
      orphans.push({ id: c.id, pid, why: `its werf-run (PID ${pid}) is gone; the PID now belongs to another process` });
    }
  }
  return orphans;
}

/** Linux: field 22 of /proc/<pid>/stat (clock ticks since boot); undefined elsewhere. */
export function processStartOf(pid: number | 'self', read: (file: string) => string = (f) => readFileSync(f, 'utf8')): string | undefined {
  try {
    const stat = read(`/proc/${pid}/stat`);
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

function processState(pid: number): ProcessState {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive, owned by someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return { alive: false };
  }
  return { alive: true, start: processStartOf(pid) };
}

/** Lists managed containers, removes the orphans among them, and says so for each. */
export async function removeOrphans(
  engine: Pick<Engine, 'listContainers' | 'removeContainer'>,
  self: { host: string; pid: number },
  say: (message: string) => void,
  state: (pid: number) => ProcessState = processState,
): Promise<number> {
  const containers = await engine.listContainers({ [MANAGED_LABEL]: 'true', [OWNER_LABELS.host]: self.host });
  let removed = 0;
  for (const orphan of findOrphans(containers, self, state)) {
    await engine.removeContainer(orphan.id);
    removed++;
    say(`removed container ${orphan.id.slice(0, 12)} left behind by an earlier run: ${orphan.why}`);
  }
  return removed;
}
