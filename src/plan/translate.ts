/**
 * werf-run inside a container that talks to the host's engine (GitLab socket
 * binding, Jenkins agents, devcontainers): a path it sees is a path in its own
 * container, and a bind mount names the daemon's host. The engine knows the
 * mounts of werf-run's container; the covering mount (the longest destination
 * holding the path) gives the host path, as act (pkg/container) and
 * testcontainers (the "docker socket in a container" case) do. Pure.
 */
import path from 'node:path';
import type { ContainerMount } from '../engine/port.js';
import { isInside } from './paths.js';

export type { ContainerMount };

/** Where `dir` (a path in werf-run's own container) lives on the daemon's host, or undefined when no mount covers it (it is in the container's own filesystem). */
export function translatePath(dir: string, mounts: readonly ContainerMount[]): string | undefined {
  const covering = mounts
    .filter((m) => m.source && m.destination && (m.type === 'bind' || m.type === 'volume') && isInside(m.destination, dir))
    .sort((a, b) => b.destination.length - a.destination.length)[0];
  if (!covering) return undefined;
  const relative = path.posix.relative(path.posix.resolve(covering.destination), path.posix.resolve(dir));
  return relative === '' ? covering.source : path.posix.join(covering.source, relative);
}

/**
 * werf-run's own container id, from what the kernel shows a process in a
 * container: Docker's bind mounts of /etc/hostname, /etc/hosts and
 * /etc/resolv.conf come from /var/lib/docker/containers/<id>/ (mountinfo,
 * cgroup v1 and v2 alike); cgroup v1 paths name /docker/<id>; Podman's
 * libpod-<id>. Undefined outside a container.
 */
export function ownContainerId(mountinfo: string | undefined, cgroup: string | undefined): string | undefined {
  // One search of each file, not of each line: the first match is the first line's all the same.
  const mounted = /\/(?:containers\/([0-9a-f]{64})|overlay-containers\/([0-9a-f]{64})\/userdata)\/(?:hostname|hosts|resolv\.conf)/.exec(
    mountinfo ?? '',
  );
  if (mounted) return mounted[1] ?? mounted[2];
  return /(?:docker[/-]|libpod-)([0-9a-f]{64})/.exec(cgroup ?? '')?.[1];
}
