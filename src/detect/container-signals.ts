/**
 * Whether werf-run itself runs inside a container: the files container
 * runtimes leave behind. Reading is here; the decision is the pure
 * `runsInContainer`, so tests pass any signals.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface ContainerSignals {
  /** /.dockerenv exists (Docker). */
  dockerenv: boolean;
  /** /run/.containerenv exists (Podman, CRI-O). */
  containerenv: boolean;
  /** Text of /proc/1/cgroup ('' when unreadable). */
  cgroup: string;
  /** Text of /proc/self/mountinfo ('' when unreadable). */
  mountinfo: string;
}

const read = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

export function readContainerSignals(root = '/'): ContainerSignals {
  return {
    dockerenv: existsSync(`${root}.dockerenv`),
    containerenv: existsSync(`${root}run/.containerenv`),
    cgroup: read(`${root}proc/1/cgroup`),
    mountinfo: read(`${root}proc/self/mountinfo`),
  };
}

/** Pure: cgroup v1 paths name the runtime; under cgroup v2 ("0::/") the mounts still show Docker's container dir. */
export function runsInContainer(signals: ContainerSignals, env: Readonly<Record<string, string | undefined>>): boolean {
  if (signals.dockerenv || signals.containerenv) return true;
  if (env.KUBERNETES_SERVICE_HOST) return true;
  if (/\/(docker|kubepods|containerd|libpod|lxc|buildkit)[/-]/.test(signals.cgroup)) return true;
  return /\/(docker|containers)\/containers\/[0-9a-f]{64}\//.test(signals.mountinfo);
}
