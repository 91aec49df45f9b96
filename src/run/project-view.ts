/**
 * Asks the engine what its host sees at the project's path (plan/project-view.ts
 * has the script and the decision): one short container in the werf image, as
 * the image user, no network, the checkout (and the git dirs werf needs)
 * bind-mounted read-only at their own paths. A bind source the daemon's host
 * does not have fails the create: that is an answer too.
 */
import type { ContainerSpec, Engine, UlimitSpec } from '../engine/port.js';
import { errorMessage } from '../errors.js';
import {
  PROJECT_VIEW_SCRIPT,
  parseProjectView,
  projectViewArgs,
  refusedView,
  type ProjectMarker,
  type ProjectView,
} from '../plan/project-view.js';
import { hostPaths, type HostOs } from '../plan/host-path.js';
import type { LaptopProduct } from '../plan/laptop.js';
import { Collect, probeOutputTooBig } from './probe.js';
import { runAttempt } from './attempt.js';

export interface ProjectViewTarget {
  image: string;
  user: string;
  marker: ProjectMarker;
  gitDirs: readonly string[];
  /** A dir's path on the daemon's host when not the same (werf-run in a container). */
  sourceOf?: (dir: string) => string;
  labels: Record<string, string>;
  ulimits?: UlimitSpec[];
  /** This machine's kind of paths: the targets are where the werf container will see each dir (plan/host-path.ts). */
  hostOs?: HostOs;
  /** The desktop product running the engine, for the note on a refused bind (plan/laptop.ts). */
  product?: LaptopProduct;
}

const VIEW_ROLE = 'project-check';

function projectViewSpec(target: ProjectViewTarget): ContainerSpec {
  const dirs = [target.marker.root, ...target.gitDirs];
  const hp = hostPaths(target.hostOs ?? 'posix');
  return {
    image: target.image,
    cmd: ['sh', '-c', PROJECT_VIEW_SCRIPT, 'sh', ...projectViewArgs(target.marker, hp)],
    env: [],
    user: target.user,
    labels: { ...target.labels, 'werf-run.role': VIEW_ROLE },
    tty: false,
    openStdin: false,
    mounts: dirs.map((dir) => ({ type: 'bind', source: target.sourceOf?.(dir) ?? dir, target: hp.inContainer(dir), readOnly: true })),
    securityOpt: [],
    devices: [],
    privileged: false,
    networkMode: 'none',
    ulimits: target.ulimits,
  };
}

export async function viewProject(engine: Engine, target: ProjectViewTarget): Promise<ProjectView> {
  const out = new Collect();
  try {
    await runAttempt({ engine, spec: projectViewSpec(target), io: { stdout: out, stderr: out }, watch: () => undefined });
  } catch (error) {
    // A bind source the daemon does not have or its VM does not share (Docker: "bind source path does not exist";
    // Podman: "no such file or directory"; Docker Desktop: "Mounts denied"): ship (plan/laptop.ts has the texts).
    const refused = refusedView(errorMessage(error), target.marker.root, target.product);
    if (refused) return refused;
    throw error;
  }
  if (out.dropped > 0) throw probeOutputTooBig(target.image, out.dropped);
  return parseProjectView(out.text, target.marker);
}
