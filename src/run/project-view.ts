/**
 * Asks the engine what its host sees at the project's path (plan/project-view.ts
 * has the script and the decision): one short container in the werf image, as
 * the image user, no network, the checkout (and the git dirs werf needs)
 * bind-mounted read-only at their own paths. A bind source the daemon's host
 * does not have fails the create: that is an answer too.
 */
import type { ContainerSpec, Engine, UlimitSpec } from '../engine/port.js';
import { errorMessage } from '../errors.js';
import { PROJECT_VIEW_SCRIPT, parseProjectView, projectViewArgs, type ProjectMarker, type ProjectView } from '../plan/project-view.js';
import { Collect } from './probe.js';
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
}

const VIEW_ROLE = 'project-check';

function projectViewSpec(target: ProjectViewTarget): ContainerSpec {
  const dirs = [target.marker.root, ...target.gitDirs];
  return {
    image: target.image,
    cmd: ['sh', '-c', PROJECT_VIEW_SCRIPT, 'sh', ...projectViewArgs(target.marker)],
    env: [],
    user: target.user,
    labels: { ...target.labels, 'werf-run.role': VIEW_ROLE },
    tty: false,
    openStdin: false,
    mounts: dirs.map((dir) => ({ type: 'bind', source: target.sourceOf?.(dir) ?? dir, target: dir, readOnly: true })),
    securityOpt: [],
    devices: [],
    privileged: false,
    networkMode: 'none',
    ulimits: target.ulimits,
  };
}

/** The daemon's answer for a bind source it does not have (Docker: "bind source path does not exist"; Podman: "no such file or directory"). */
export const NO_SOURCE = /bind source path does not exist|no such file or directory|not a directory/i;

export async function viewProject(engine: Engine, target: ProjectViewTarget): Promise<ProjectView> {
  const out = new Collect();
  try {
    await runAttempt(engine, projectViewSpec(target), { stdout: out, stderr: out }, () => undefined);
  } catch (error) {
    const message = errorMessage(error);
    if (NO_SOURCE.test(message)) return { kind: 'elsewhere', why: `the engine's host has no ${target.marker.root} (${message.replace(/^.*failed: /, '')})` };
    throw error;
  }
  return parseProjectView(out.text, target.marker);
}
