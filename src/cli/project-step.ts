/**
 * How the project's files reach werf, decided from what the engine's host
 * sees (run/project-view.ts) rather than guessed from the endpoint's URL:
 * the same checkout there: bind-mount it; not there or other content: ship
 * it; there but unreadable for the image user: stop with the fix.
 */
import type { Engine, UlimitSpec } from '../engine/port.js';
import { WerfRunError } from '../errors.js';
import { deniedMessage, type ProjectView } from '../plan/project-view.js';
import { viewProject } from '../run/project-view.js';
import type { ProjectLocation } from './project.js';
import { readProjectMarker } from './project.js';
import type { Reporter } from './reporter.js';

export type ProjectDelivery =
  | { how: 'bind'; line: string }
  | { how: 'ship'; line: string; why: string };

export interface ProjectStepInput {
  engine: Engine | undefined;
  project: ProjectLocation;
  image: string;
  user: { user: string; uid?: number };
  ulimits?: UlimitSpec[];
  /** May a container run (not --dry-run, the image is on the engine)? */
  mayRun: boolean;
  /** The engine's host is this machine and sees its uids as they are (a local, non-rootless Linux engine): fix lines name this host. */
  sameHost: boolean;
  reporter: Reporter;
}

export async function projectStep(input: ProjectStepInput): Promise<ProjectDelivery> {
  const { engine, project, reporter } = input;
  if (!engine || !input.mayRun) {
    return { how: 'bind', line: `project files: ${project.root} would be bind-mounted if the engine's host sees this checkout, else shipped (not checked: --dry-run starts no container)` };
  }
  const marker = await readProjectMarker(project.root, project.isGit);
  const view: ProjectView = await reporter.task(`checking what the engine sees at ${project.root}`, () =>
    viewProject(engine, { image: input.image, user: input.user.user, marker, gitDirs: project.gitDirs, labels: { 'werf-run.project': project.root }, ulimits: input.ulimits }),
  );
  if (view.kind === 'denied') {
    const { message, remedy } = deniedMessage(view, project.root, input.user.uid, input.sameHost);
    throw new WerfRunError(message, { remedy });
  }
  if (view.kind === 'same') return { how: 'bind', line: `project files: bind-mounted ${project.root} (the engine's host sees this checkout)` };
  return { how: 'ship', why: view.why, line: `project files: the engine's host does not see this checkout (${view.why})` };
}
