/**
 * How the project's files reach werf, decided from what the engine's host
 * sees (run/project-view.ts) rather than guessed from the endpoint's URL:
 * the same checkout there: bind-mount it; not there or other content: ship
 * it; there but unreadable for the image user: stop with the fix.
 */
import { createHash } from 'node:crypto';
import type { Engine, UlimitSpec } from '../engine/port.js';
import type { ProjectSource } from '../plan/plan.js';
import type { DaemonCache } from '../detect/cache.js';
import { translatePath } from '../plan/translate.js';
import { WerfRunError } from '../errors.js';
import { deniedMessage, projectViewArgs, type ProjectMarker, type ProjectView } from '../plan/project-view.js';
import { viewProject } from '../run/project-view.js';
import path from 'node:path';
import os from 'node:os';
import { describeBytes, manifestVolumeName, shipProgressText, shipVolumeName, type Shipper } from '../plan/ship.js';
import { ownContainer, ownContainerOnce, type HostFacts } from './own-container.js';
import type { ProjectLocation } from './project.js';
import { readProjectMarker } from './project.js';
import { hostGit } from './host-git.js';
import type { Reporter } from '../reporter.js';
import { hostPaths, type HostOs } from '../plan/host-path.js';
import type { LaptopProduct } from '../plan/laptop.js';
import { indexModes, shippedMode } from '../plan/ship-mode.js';
import type { PendingShip, ShipResult } from '../run/ship.js';

/** The project check left to werf's own first container (recover/fold-probe.ts): its script's arguments, the marker to compare, and what to remember when it matches. */
export interface FoldedCheck {
  args: string[];
  marker: ProjectMarker;
  remember(): void;
}

export type ProjectDelivery =
  | { how: 'bind'; line: string; sources?: Record<string, ProjectSource>; check?: FoldedCheck }
  | { how: 'translate'; line: string; sources: Record<string, ProjectSource> }
  | {
      how: 'ship';
      line: string;
      why: string;
      sources: Record<string, ProjectSource>;
      /** The changes ride in werf's container's archive (run/ship.ts PendingShip); `onShipped` tells the final line. */
      pending?: { ship: PendingShip; onShipped(result: ShipResult): void };
    };

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
  /** Verdicts remembered per daemon (detect/cache.ts): a project seen before with the same marker is not checked again. */
  remembered?: { has(key: string): boolean; remember(key: string): void };
  /** The project's marker when it is being read already (prepareRun starts it alongside the engine calls). */
  marker?: Promise<ProjectMarker>;
  /** The engine's view of the project, when the probe's container checked it already (cli/prepare.ts). */
  view?: ProjectView;
  /** Only find out how (doctor): ship nothing. */
  checkOnly?: boolean;
  /** /proc/self/mountinfo, /proc/self/cgroup and the hostname (tests pass others). */
  host?: HostFacts;
  /** This machine's kind of paths (plan/host-path.ts; from the CLI context's platform). */
  hostOs?: HostOs;
  /** The desktop product running the engine (plan/laptop.ts), for the note when its VM does not share the checkout. */
  product?: LaptopProduct;
  /** Paths to ship besides what git would see (config ship.include). */
  shipInclude?: readonly string[];
  /** Where this machine keeps its copy of each ship manifest (beside the daemon's cache file); undefined keeps none. */
  shipIndexDir?: string;
  /** werf's container takes the changes in its own archive when it can (run/ship.ts PendingShip); the caller must hand it on. */
  shipWithWerf?: boolean;
  /** Who ships (the volume names carry it); default: this user and host. */
  shipper?: Shipper;
  /** A check that would need a container of its own is left to werf's (the delivery's `check`): bind-mount, and werf's container confirms before werf starts. */
  foldCheck?: boolean;
}

export async function projectStep(input: ProjectStepInput): Promise<ProjectDelivery> {
  const { engine, project, reporter } = input;
  if (!engine || !input.mayRun) {
    return {
      how: 'bind',
      line: `project files: ${project.root} would be bind-mounted if the engine's host sees this checkout, else shipped (not checked: --dry-run starts no container)`,
    };
  }
  const dirs = [project.root, ...project.gitDirs];
  const { own, translated } = await ownTranslation(engine, input, dirs);
  const marker = await (input.marker ?? readProjectMarker(project.root, project.isGit));
  const key = createHash('sha256')
    .update(JSON.stringify({ marker, gitDirs: project.gitDirs, image: input.image, user: input.user.user, translated }))
    .digest('hex')
    .slice(0, 32);
  const seenBefore = !(own && !translated) && input.remembered?.has(key);
  if (seenBefore)
    reporter.debug(
      `project files: ${project.root} with this HEAD and these files was seen by this engine before; not checked again (--reprobe checks)`,
    );
  if (input.foldCheck && !seenBefore && !input.view && !own)
    return {
      how: 'bind',
      line: `project files: bind-mounted ${project.root}, which werf's container checks is this checkout before werf starts`,
      check: { args: projectViewArgs(marker, hostPaths(input.hostOs ?? 'posix')), marker, remember: () => input.remembered?.remember(key) },
    };
  const view = await engineView(engine, input, { own, translated, marker, seenBefore });
  if (view.kind === 'elsewhere' && view.note) reporter.info(view.note);
  if (view.kind === 'denied') {
    const { message, remedy } = deniedMessage(view, project.root, input.user.uid, input.sameHost);
    throw new WerfRunError(message, { remedy });
  }
  if (view.kind === 'same' && !seenBefore) input.remembered?.remember(key);
  if (view.kind === 'same' && translated) {
    const sources = Object.fromEntries(Object.entries(translated).map(([dir, source]) => [dir, { type: 'bind' as const, source }]));
    return {
      how: 'translate',
      sources,
      line: `project files: bind-mounted ${project.root} from ${translated[project.root]} on the engine's host (translated through the mounts of werf-run's own container ${own!.id.slice(0, 12)})`,
    };
  }
  if (view.kind === 'same')
    return { how: 'bind', line: `project files: bind-mounted ${project.root} (the engine's host sees this checkout)` };
  // Ship: each dir werf needs into its own volume; only what changed since the last run travels.
  const shipper = input.shipper ?? { user: safeUserName(), host: os.hostname() };
  if (input.checkOnly)
    return {
      how: 'ship',
      why: view.why,
      sources: {},
      line: `project files: would be shipped into volume ${shipVolumeName(project.root, shipper)} (the engine's host does not see this checkout: ${view.why})`,
    };
  return ship(engine, input, dirs, view, shipper);
}

/** werf-run in a container (the host's socket mounted in): paths here are the container's; the engine knows where they come from (all translated, or none). */
async function ownTranslation(engine: Engine, input: ProjectStepInput, dirs: string[]) {
  const { reporter } = input;
  const own = await (input.host ? ownContainer(engine, input.host) : ownContainerOnce(engine));
  let translated: Record<string, string> | undefined;
  if (own) {
    const pairs = dirs.map((dir) => [dir, translatePath(dir, own.mounts)] as const);
    const missing = pairs.filter(([, source]) => source === undefined).map(([dir]) => dir);
    if (missing.length === 0) translated = Object.fromEntries(pairs as (readonly [string, string])[]);
    reporter.debug(
      missing.length === 0
        ? `werf-run runs in container ${own.id.slice(0, 12)}: ${pairs.map(([d, s]) => `${d} is ${s} on the engine's host`).join(', ')}`
        : `werf-run runs in container ${own.id.slice(0, 12)}, whose mounts do not cover ${missing.join(', ')}: the files must be shipped`,
    );
  }
  return { own, translated };
}

/** What the engine's host sees at the project's path: remembered, the probe's check, or a short container's. */
async function engineView(
  engine: Engine,
  input: ProjectStepInput,
  {
    own,
    translated,
    marker,
    seenBefore,
  }: {
    own: Awaited<ReturnType<typeof ownContainerOnce>>;
    translated: Record<string, string> | undefined;
    marker: ProjectMarker;
    seenBefore: boolean | undefined;
  },
): Promise<ProjectView> {
  const { project, reporter } = input;
  if (!seenBefore && input.view && !own)
    reporter.debug(
      `project files: checked in the probe's container: ${input.view.kind === 'elsewhere' ? input.view.why : input.view.kind}`,
    );
  return seenBefore
    ? { kind: 'same' }
    : input.view && !own
      ? input.view
      : own && !translated
        ? {
            kind: 'elsewhere',
            why: `${project.root} is in werf-run's own container ${own.id.slice(0, 12)}, not in a mount the engine's host has`,
          }
        : await reporter.task(`checking what the engine sees at ${project.root}`, () =>
            viewProject(engine, {
              image: input.image,
              user: input.user.user,
              marker,
              gitDirs: project.gitDirs,
              sourceOf: translated ? (dir) => translated[dir] ?? dir : undefined,
              labels: { 'werf-run.project': project.root },
              ulimits: input.ulimits,
              hostOs: input.hostOs,
              product: input.product,
            }),
          );
}

/** Ship: each dir werf needs into its own volume; only what changed since the last run travels. */
async function ship(
  engine: Engine,
  input: ProjectStepInput,
  dirs: string[],
  view: Extract<ProjectView, { kind: 'elsewhere' }>,
  shipper: Shipper,
): Promise<ProjectDelivery> {
  const { project, reporter } = input;
  const units = dirs.map((dir, i) => ({
    dir,
    volume: shipVolumeName(dir, shipper),
    // The root as git sees it (what is ignored stays here); git dirs beyond it go whole.
    git: i === 0 && project.isGit,
    include: i === 0 ? input.shipInclude : undefined,
  }));
  const manifestVolume = manifestVolumeName(project.root, shipper);
  const started = Date.now();
  // Loaded only here: shipping (and its tar library) is not on a local engine's way.
  const { shipProject } = await import('../run/ship.js');
  const modes = input.hostOs === 'win32' ? await modesFromGitIndex(project) : {};
  const result = await reporter.task(`shipping ${project.root} to the engine (its host cannot see it)`, () =>
    shipProject(engine, {
      image: input.image,
      units,
      manifestVolume,
      owner: { uid: input.user.uid ?? 0, gid: input.user.uid ?? 0 },
      ...modes,
      labels: { 'werf-run.project': project.root },
      ulimits: input.ulimits,
      indexFile: input.shipIndexDir ? path.join(input.shipIndexDir, `${manifestVolume}.json`) : undefined,
      withWerf: input.shipWithWerf,
      onProgress: (progress) => reporter.progress(shipProgressText(progress)),
      onWait: (lock) =>
        reporter.info(`waiting for another werf-run that is shipping ${project.root} into the same volumes (its container ${lock})`),
    }),
  );
  if (result.pending) {
    const { pending } = result;
    const found = ((Date.now() - started) / 1000).toFixed(2);
    return {
      how: 'ship',
      why: view.why,
      line: `project files: ${result.sentFiles} changed of ${result.files} files (${describeBytes(result.sentBytes)}) go into volume ${units[0]!.volume} with werf's own files, before werf starts (found in ${found} s; the engine's host does not see this checkout: ${view.why})`,
      sources: Object.fromEntries(units.map((u) => [u.dir, { type: 'volume' as const, source: u.volume }])),
      pending: { ship: pending, onShipped: (done) => reporter.info(shipped(done, units, started, view.why, reporter, true).line) },
    };
  }
  return shipped(result, units, started, view.why, reporter);
}

/** What was shipped, told: the debug lines and the delivery's line. */
function shipped(
  result: ShipResult,
  units: { dir: string; volume: string }[],
  started: number,
  why: string,
  reporter: Reporter,
  withWerf = false,
): ProjectDelivery {
  for (const gone of result.missing) reporter.warn(`ship.include names ${gone}, which is not there: not shipped`);
  for (const [i, list] of result.sent.entries()) for (const rel of list) reporter.debug(`shipped ${path.join(units[i]!.dir, rel)}`);
  reporter.debug(
    `ship: what the volume holds was known from ${result.previousFrom === 'this machine' ? "this machine's copy of its manifest (stat data)" : result.previousFrom === 'the volume' ? "the volume's manifest" : 'nothing (first ship)'}`,
  );
  const what =
    result.sentFiles === result.files
      ? `${result.files} files`
      : result.sentFiles === 0
        ? `nothing new of ${result.files} files`
        : `${result.sentFiles} changed of ${result.files} files`;
  const gone = result.removed > 0 ? `, removed ${result.removed} gone` : '';
  const line = `project files: shipped ${what} (${describeBytes(result.sentBytes)})${gone} into volume ${units[0]!.volume} in ${((Date.now() - started) / 1000).toFixed(2)} s${withWerf ? " with werf's own files" : ''} (the engine's host does not see this checkout: ${why})`;
  return {
    how: 'ship',
    why: why,
    line,
    sources: Object.fromEntries(units.map((u) => [u.dir, { type: 'volume' as const, source: u.volume }])),
  };
}

/** This user's name; where the OS has none for the uid (a container's random uid), the uid. */
function safeUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'user');
  }
}

/** The daemon cache's record of projects seen (a write that fails only costs a check next time). */
export function rememberedProjects(cache: DaemonCache): NonNullable<ProjectStepInput['remembered']> {
  return {
    has: (key) => Boolean(cache.read().entry?.projects?.[key]),
    // The newest 50: one entry per project and HEAD would grow without end.
    remember: (key) =>
      void cache.update((entry) => {
        const all = Object.entries({ ...entry.projects, [key]: { at: new Date().toISOString() } });
        return { ...entry, projects: Object.fromEntries(all.sort((a, b) => b[1].at.localeCompare(a[1].at)).slice(0, 50)) };
      }),
  };
}

/**
 * Windows has no POSIX modes (libuv reports 0666/0444): shipped files take
 * theirs from git's index (plan/ship-mode.ts). Git dirs beyond the root are
 * not in the index: their files get 0644, directories 0755.
 */
async function modesFromGitIndex(
  project: ProjectLocation,
): Promise<{ modeFor: (unit: number, rel: string, type: 'file' | 'dir' | 'symlink', statMode: number) => number }> {
  const answer = project.isGit ? await hostGit(['ls-files', '--stage', '-z'], { cwd: project.root, maxBuffer: 256 << 20 }) : undefined;
  const listed = answer?.ok ? answer.stdout : '';
  const modes = indexModes(listed);
  return { modeFor: (unit, rel, type, statMode) => shippedMode(type, statMode, unit === 0 ? modes.get(rel) : undefined, 'win32') };
}
