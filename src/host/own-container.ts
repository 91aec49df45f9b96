/**
 * werf-run's own container, when it runs in one (a CI job with the host's
 * socket, a devcontainer): found once per run and engine, and used twice: the
 * lifecycle labels werf-run's containers with it (run/orphans.ts), the project
 * step translates the checkout's paths through its mounts.
 */
import os from 'node:os';
import type { ContainerMount, Engine } from '../engine/port.js';
import { readTextIfReadable } from '../files.js';
import { ownContainerId } from '../plan/translate.js';

export interface OwnContainer {
  id: string;
  /** Its mounts, as the engine reports them (sources on the daemon's host). */
  mounts: ContainerMount[];
}

export interface HostFacts {
  mountinfo?: string;
  cgroup?: string;
  hostname: string;
}

const hostFacts = (): HostFacts => ({
  mountinfo: readTextIfReadable('/proc/self/mountinfo'),
  cgroup: readTextIfReadable('/proc/self/cgroup'),
  hostname: os.hostname(),
});

/**
 * werf-run's own container on this engine, with its mounts: by the id the
 * kernel shows (mountinfo, cgroup), else by the hostname Docker gives a
 * container (the first 12 hex digits of its id). Undefined on a host, or when
 * the engine does not know the container (another engine's).
 */
export async function ownContainer(engine: Engine, facts: HostFacts): Promise<OwnContainer | undefined> {
  const candidates = [
    ownContainerId(facts.mountinfo, facts.cgroup),
    // The hostname only of a local engine: a remote one may well know a container whose id starts with this
    // machine's name (another machine's container), and the orphan sweep would judge by it.
    /^[0-9a-f]{12}$/.test(facts.hostname) && isLocalEngine(engine.endpoint?.url) ? facts.hostname : undefined,
  ].filter((c): c is string => Boolean(c));
  for (const id of candidates) {
    const mounts = await engine.containerMounts(id);
    if (mounts) return { id, mounts };
  }
  return undefined;
}

/** An engine reached through a socket or pipe of this machine (unix://, npipe://), not tcp:// or ssh://. */
function isLocalEngine(url: string | undefined): boolean {
  return url !== undefined && /^(unix|npipe):\/\//.test(url);
}

const found = new WeakMap<Engine, Promise<OwnContainer | undefined>>();

/** ownContainer with this process's own facts, asked of each engine once (later callers share the answer). */
export function ownContainerOnce(engine: Engine): Promise<OwnContainer | undefined> {
  let own = found.get(engine);
  if (!own) {
    own = ownContainer(engine, hostFacts());
    found.set(engine, own);
  }
  return own;
}
