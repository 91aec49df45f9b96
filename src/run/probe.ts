/**
 * Runs the probe container (its settings and script: detect/probe-script.ts)
 * as one attempt, a few seconds, always removed. When the engine refuses
 * /dev/fuse (the host has none) that is a finding too, and the probe runs
 * again without it. detect() gets this function passed in: detection decides,
 * run/ runs containers.
 *
 * Given the project, the same container also checks what the engine's host
 * sees at the project's path (plan/project-view.ts): its dirs are bind-mounted
 * read-only and the view script runs after the probe's, as the same image
 * user, so a cold run starts one short container before werf's, not two. A
 * bind source the host does not have fails the create: that is the view's
 * answer ("elsewhere"), and the probe runs again without the mounts.
 */
import { Writable } from 'node:stream';
import type { Engine } from '../engine/port.js';
import { WerfRunError, errorMessage } from '../errors.js';
import type { Findings } from '../detect/facts.js';
import { parseProbeOutput, probeSpec, type ProbeOutcome, type ProbeTarget } from '../detect/probe-script.js';
import type { ContainerSpec } from '../engine/port.js';
import {
  PROJECT_VIEW_SCRIPT,
  parseProjectView,
  projectViewArgs,
  refusedView,
  type ProjectMarker,
  type ProjectView,
} from '../plan/project-view.js';
import { shellQuote } from '../plan/docker-command.js';
import { classify } from '../recover/signatures.js';
import { runAttempt } from './attempt.js';

/** How long the probe may take before its container is killed (the folded probe's limit too: cli/fold.ts). */
export const PROBE_TIMEOUT_MS = 60_000;

/** Collects a container's output as text. */
/** The probe's script prints a few KiB: more is not the probe (an image whose shell prints endlessly), and is not kept. */
export const PROBE_OUTPUT_LIMIT_BYTES = 1 << 20;

export class Collect extends Writable {
  text = '';
  /** Bytes past the limit that were dropped: the caller turns them into an error (probeOutputTooBig). */
  dropped = 0;
  constructor(private readonly limit = PROBE_OUTPUT_LIMIT_BYTES) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    const room = this.limit - Buffer.byteLength(this.text);
    if (chunk.length > room) this.dropped += chunk.length - Math.max(room, 0);
    if (room > 0) this.text += chunk.subarray(0, room).toString('utf8');
    done();
  }
}

export function probeOutputTooBig(image: string, dropped: number): WerfRunError {
  // The remedy is in the message too: runProbe reports a failed probe by its message alone.
  const check = `check the image's sh (docker run --rm --entrypoint sh ${shellQuote(image)} -c true prints nothing) and the image werf-run uses`;
  return new WerfRunError(
    `a probe container of ${image} printed ${dropped} bytes more than werf-run's limit of ${PROBE_OUTPUT_LIMIT_BYTES} bytes (1 MiB) for it; ${check}`,
    { remedy: check },
  );
}

/** The project to check in the probe's container: its marker and the git dirs werf needs (mounted at their own paths). */
export interface ProbeProject {
  marker: ProjectMarker;
  gitDirs: readonly string[];
}

/** The probe's spec, with the project's dirs mounted read-only and the view script after the probe's (in a subshell: its exits stay its own). */
function withProjectCheck(spec: ContainerSpec, project: ProbeProject): ContainerSpec {
  const dirs = [project.marker.root, ...project.gitDirs];
  return {
    ...spec,
    cmd: ['sh', '-c', `${spec.cmd[2] ?? ''}\n(\n${PROJECT_VIEW_SCRIPT}\n)`, 'sh', ...projectViewArgs(project.marker)],
    mounts: [...spec.mounts, ...dirs.map((dir) => ({ type: 'bind' as const, source: dir, target: dir, readOnly: true }))],
  };
}

/** Runs the probe; never throws for what the host cannot do, only for engine trouble (those are returned as `error`). */
export async function runProbe(
  engine: Engine,
  target: ProbeTarget,
  project?: ProbeProject,
): Promise<ProbeOutcome & { project?: ProjectView }> {
  let view: ProjectView | undefined;
  const run = async (withFuse: boolean, withProject: boolean) => {
    const out = new Collect();
    // The script takes well under a second; a probe that hangs is killed, and what it printed so far still counts.
    let timer: NodeJS.Timeout | undefined;
    const spec = withProject && project ? withProjectCheck(probeSpec(target, withFuse), project) : probeSpec(target, withFuse);
    try {
      const onStarted = (id: string): void => {
        timer = setTimeout(() => void engine.killContainer(id, 'SIGKILL').catch(() => undefined), PROBE_TIMEOUT_MS);
      };
      const result = await runAttempt({ engine, spec, io: { stdout: out, stderr: out }, watch: classify, hooks: { onStarted } });
      if (out.dropped > 0) throw probeOutputTooBig(spec.image, out.dropped);
      return { result, text: out.text };
    } finally {
      clearTimeout(timer);
    }
  };
  /** The probe, with the project check while it can go along. */
  const attempt = async (withFuse: boolean) => {
    if (project && view === undefined) {
      try {
        return await run(withFuse, true);
      } catch (error) {
        // The engine's host has no such path, or its VM does not share it (plan/laptop.ts has the texts): ship.
        const refused = refusedView(errorMessage(error), project.marker.root);
        if (!refused) throw error;
        view = refused;
      }
    }
    return run(withFuse, false);
  };
  try {
    let { result, text } = await attempt(true);
    const extra: Findings = {};
    if (result.failure?.id === 'fuse-missing-on-host') {
      extra.fuseDevice = {
        value: 'missing',
        detail: 'the engine refused --device /dev/fuse: error gathering device information (no /dev/fuse on the host)',
      };
      ({ result, text } = await attempt(false));
    }
    if (project && view === undefined && result.failure?.id !== 'fuse-missing-on-host') view = parseProjectView(text, project.marker);
    const parsed = parseProbeOutput(text);
    const findings: Findings = { ...parsed.findings, ...extra };
    const unknown = { ...parsed.unknown };
    if (extra.fuseDevice) delete unknown.fuseDevice;
    return { findings, unknown, project: view };
  } catch (error) {
    const why = `the probe container failed: ${errorMessage(error)}`;
    return { findings: {}, unknown: { userNamespaces: why, rootlessOverlay: why, fuseDevice: why }, error: why };
  }
}
