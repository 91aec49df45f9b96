/**
 * Containers left behind by a werf-run that died without cleaning up (SIGKILL,
 * a crash, a lost CI job). A container is an orphan only when its owner is
 * provably gone: same host and same PID namespace as us, and its PID is not
 * alive, or is alive but is another process now (the start time differs: the
 * PID was reused). The PID namespace matters because a hostname does not tell
 * a machine: every container on the host network has the host's, while its
 * PIDs are its own (two CI jobs with the host network and the host's Docker
 * socket would otherwise take each other's live werf for orphans). Containers
 * of live owners, of other hosts or PID namespaces, or without owner labels
 * are never touched.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { MANAGED_LABEL } from '../plan/plan.js';
import type { ContainerSummary, Engine } from '../engine/port.js';

export interface Owner {
  host: string;
  pid: number;
  startedAt: string;
  /** The owner process's start time as the OS counts it (Linux: /proc/<pid>/stat field 22), to tell a reused PID apart. */
  processStart?: string;
  /** Where its PID means something (Linux: the kernel's boot id and the PID namespace; elsewhere the machine's persistent id: pidPlace). */
  pidNamespace?: string;
  /** The container werf-run itself runs in, when the engine it uses knows that container (a CI job with the host's socket). */
  container?: string;
}

/** The labels that name a container's owner: written by trackingEngine (live-containers.ts), read by findOrphans. */
const OWNER_LABELS = {
  host: 'werf-run.owner-host',
  pid: 'werf-run.owner-pid',
  startedAt: 'werf-run.started-at',
  processStart: 'werf-run.owner-start',
  pidNamespace: 'werf-run.owner-pidns',
  container: 'werf-run.owner-container',
} as const;

export function ownerLabels(owner: Owner): Record<string, string> {
  return {
    [OWNER_LABELS.host]: owner.host,
    [OWNER_LABELS.pid]: String(owner.pid),
    [OWNER_LABELS.startedAt]: owner.startedAt,
    ...(owner.processStart === undefined ? {} : { [OWNER_LABELS.processStart]: owner.processStart }),
    ...(owner.pidNamespace === undefined ? {} : { [OWNER_LABELS.pidNamespace]: owner.pidNamespace }),
    ...(owner.container === undefined ? {} : { [OWNER_LABELS.container]: owner.container }),
  };
}

/** What the OS says about a PID: not alive, or alive with a start time when the OS tells one. */
export type ProcessState = { alive: false } | { alive: true; start?: string };

export interface OrphanVerdict {
  id: string;
  pid: number;
  why: string;
}

type Self = Pick<Owner, 'host' | 'pid' | 'pidNamespace' | 'container'>;

/**
 * Whether the PIDs in a container's owner labels are ours to check: the same host and PID namespace. Without a
 * namespace of our own (no boot id and no host id) none are: a hostname alone does not tell two machines apart.
 */
const samePids = (labels: Readonly<Record<string, string>>, self: Self): boolean =>
  self.pidNamespace !== undefined && labels[OWNER_LABELS.host] === self.host && labels[OWNER_LABELS.pidNamespace] === self.pidNamespace;

/**
 * Where this process's PIDs mean something: Linux's boot id and PID namespace (pidNamespaceOf); elsewhere (macOS,
 * Windows) this machine's persistent random id (detect/host-id.ts), asked only then; undefined when neither is known.
 */
export function pidPlace(linux: string | undefined, hostId: () => string | undefined): string | undefined {
  if (linux !== undefined) return linux;
  const id = hostId();
  return id === undefined ? undefined : `host-id/${id}`;
}

/** The containers werf-runs in other containers ran in, to ask the engine about (pure). */
export function ownerContainersToCheck(containers: readonly ContainerSummary[], self: Self): string[] {
  const ids = containers
    .filter((c) => c.labels[MANAGED_LABEL] === 'true' && !samePids(c.labels, self))
    .map((c) => c.labels[OWNER_LABELS.container])
    .filter((id): id is string => id !== undefined && id !== self.container);
  return [...new Set(ids)];
}

/**
 * Pure: which of `containers` belong to a dead owner: in our PID namespace on
 * our host, by its PID; run from another container (a CI job with the host's
 * socket), by that container, which `ownerContainer` says is running (true),
 * stopped or gone (false), or was not asked about (undefined: left alone).
 */
export function findOrphans(
  containers: readonly ContainerSummary[],
  self: Self,
  processState: (pid: number) => ProcessState,
  ownerContainer: (id: string) => boolean | undefined = () => undefined,
): OrphanVerdict[] {
  const orphans: OrphanVerdict[] = [];
  for (const c of containers) {
    const labels = c.labels;
    if (labels[MANAGED_LABEL] !== 'true') continue;
    if (!samePids(labels, self)) {
      // Its PIDs are not ours to check (another container, or an older werf-run that did not say); its container may be.
      const from = labels[OWNER_LABELS.container];
      if (from !== undefined && from !== self.container && ownerContainer(from) === false) {
        orphans.push({
          id: c.id,
          pid: Number(labels[OWNER_LABELS.pid] ?? 0),
          why: `the container its werf-run ran in (${from.slice(0, 12)}) is gone or stopped`,
        });
      }
      continue;
    }
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

/**
 * Linux: `<boot id>/<pid namespace>` (/proc/sys/kernel/random/boot_id and the
 * /proc/self/ns/pid link, e.g. pid:[4026531836]); undefined elsewhere. The
 * boot id tells machines apart where namespaces' numbers repeat (the first
 * one's is the same on every Linux host).
 */
export function pidNamespaceOf(
  read: (file: string) => string = (f) => readFileSync(f, 'utf8'),
  link: (file: string) => string = readlinkSync,
): string | undefined {
  try {
    return `${read('/proc/sys/kernel/random/boot_id').trim()}/${link('/proc/self/ns/pid')}`;
  } catch {
    return undefined;
  }
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
  engine: Pick<Engine, 'listContainers' | 'removeContainer' | 'inspectContainer'>,
  self: Self,
  say: (message: string) => void,
  state: (pid: number) => ProcessState = processState,
): Promise<number> {
  const containers = await engine.listContainers({ [MANAGED_LABEL]: 'true' });
  const asked = await Promise.all(
    ownerContainersToCheck(containers, self).map(async (id) => [id, (await engine.inspectContainer(id))?.running === true] as const),
  );
  const running = new Map(asked);
  let removed = 0;
  for (const orphan of findOrphans(containers, self, state, (id) => running.get(id))) {
    await engine.removeContainer(orphan.id);
    removed++;
    say(`removed container ${orphan.id.slice(0, 12)} left behind by an earlier run: ${orphan.why}`);
  }
  return removed;
}
