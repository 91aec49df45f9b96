/**
 * Differences of Docker-compatible engines that change the container request (pure).
 *
 * Podman (seen with 4.3's compatible API): without explicit ulimits it asks the
 * OCI runtime for its own defaults (nofile 1048576, nproc unlimited-ish), above
 * the hard limits of a service that lacks CAP_SYS_RESOURCE, and start fails
 * with "error setting rlimits for ready process: error setting rlimit type 7".
 * Limits within any ordinary hard limit avoid that; werf and buildah need no more.
 */
import type { EngineProduct, UlimitSpec } from '../engine/port.js';

const PODMAN_ULIMITS: readonly UlimitSpec[] = [
  { name: 'nofile', soft: 1024, hard: 4096 },
  { name: 'nproc', soft: 4096, hard: 4096 },
];

export function ulimitsFor(product: EngineProduct | undefined): UlimitSpec[] | undefined {
  return product === 'podman' ? PODMAN_ULIMITS.map((u) => ({ ...u })) : undefined;
}
