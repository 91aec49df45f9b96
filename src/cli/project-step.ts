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
import path from 'node:path';
import { describeBytes, manifestVolumeName, shipVolumeName } from '../plan/ship.js';
import { shipProject } from '../run/ship.js';
import type { ProjectLocation } from './project.js';
import { readProjectMarker } from './project.js';
import type { Reporter } from './reporter.js';

export type ProjectDelivery =
  | { how: 'bind'; line: string }
  | { how: 'ship'; line: string; why: string; volumes: Record<string, string> };

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
  // Ship: each dir werf needs into its own volume; only what changed since the last run travels.
  const units = [project.root, ...project.gitDirs].map((dir) => ({ dir, volume: shipVolumeName(dir) }));
  const started = Date.now();
  const result = await reporter.task(`shipping ${project.root} to the engine (its host cannot see it)`, () =>
    shipProject(engine, {
      image: input.image,
      units,
      manifestVolume: manifestVolumeName(project.root),
      owner: { uid: input.user.uid ?? 0, gid: input.user.uid ?? 0 },
      labels: { 'werf-run.project': project.root },
      ulimits: input.ulimits,
      onProgress: (sent, total) => reporter.progress(progressText(sent, total)),
    }),
  );
  for (const [i, list] of result.sent.entries()) for (const rel of list) reporter.debug(`shipped ${path.join(units[i]!.dir, rel)}`);
  const what = result.sentFiles === result.files ? `${result.files} files` : `${result.sentFiles} changed of ${result.files} files`;
  const gone = result.removed > 0 ? `, removed ${result.removed} gone` : '';
  const line = `project files: shipped ${what} (${describeBytes(result.sentBytes)})${gone} into volume ${units[0]!.volume} in ${((Date.now() - started) / 1000).toFixed(1)} s (the engine's host does not see this checkout: ${view.why})`;
  return { how: 'ship', why: view.why, line, volumes: Object.fromEntries(units.map((u) => [u.dir, u.volume])) };
}

/** A bar for the task list, a plain line in CI (the reporter throttles those). */
export function progressText(sent: number, total: number): string {
  const ratio = total > 0 ? Math.min(1, sent / total) : 1;
  const width = 20;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(ratio * 100)}% ${describeBytes(sent)} of ${describeBytes(total)}`;
}
