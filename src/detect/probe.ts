/**
 * The probe container: a few seconds in the selected werf image, as the
 * image's user, with the native settings (seccomp and AppArmor unconfined),
 * no network, a tmpfs, and /dev/fuse. When the engine refuses the device
 * (the host has none) that is a finding too, and the probe runs again without it.
 * Labelled like the werf container (werf-run.managed=true, werf-run.role=probe)
 * and always removed.
 */
import { Writable } from 'node:stream';
import type { ContainerSpec, Engine, UlimitSpec } from '../engine/port.js';
import { errorMessage } from '../errors.js';
import { runAttempt } from '../run/attempt.js';
import type { Findings } from './facts.js';
import { PROBE_SCRIPT, PROBE_TMPFS, parseProbeOutput, type ProbeParse } from './probe-script.js';

export interface ProbeTarget {
  image: string;
  /** The user werf runs as (the image contract's). */
  user: string;
  labels: Record<string, string>;
  /** The engine's quirks apply to the probe as to werf's container (Podman's ulimits). */
  ulimits?: UlimitSpec[];
}

export const PROBE_ROLE_LABEL = 'werf-run.role';
const PROBE_TIMEOUT_MS = 60_000;

export function probeSpec(target: ProbeTarget, withFuse: boolean): ContainerSpec {
  return {
    image: target.image,
    cmd: ['sh', '-c', PROBE_SCRIPT],
    env: [],
    user: target.user,
    labels: { ...target.labels, [PROBE_ROLE_LABEL]: 'probe' },
    tty: false,
    openStdin: false,
    mounts: [{ type: 'tmpfs', source: '', target: PROBE_TMPFS, readOnly: false }],
    securityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
    devices: withFuse ? ['/dev/fuse'] : [],
    privileged: false,
    networkMode: 'none',
    ulimits: target.ulimits,
  };
}

/** Collects a container's output as text. */
export class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

/** Runs the probe; never throws for what the host cannot do, only for engine trouble (those are returned as `error`). */
export async function runProbe(engine: Engine, target: ProbeTarget): Promise<ProbeParse & { error?: string }> {
  const run = async (withFuse: boolean) => {
    const out = new Collect();
    // The script takes well under a second; a probe that hangs is killed, and what it printed so far still counts.
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await runAttempt(engine, probeSpec(target, withFuse), { stdout: out, stderr: out }, {
        onStarted: (id) => {
          timer = setTimeout(() => void engine.killContainer(id, 'SIGKILL').catch(() => undefined), PROBE_TIMEOUT_MS);
        },
      });
      return { result, text: out.text };
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    let { result, text } = await run(true);
    const extra: Findings = {};
    if (result.failure?.id === 'fuse-missing-on-host') {
      extra.fuseDevice = { value: 'missing', detail: 'the engine refused --device /dev/fuse: error gathering device information (no /dev/fuse on the host)' };
      ({ result, text } = await run(false));
    }
    const parsed = parseProbeOutput(text);
    const findings: Findings = { ...parsed.findings, ...extra };
    const unknown = { ...parsed.unknown };
    if (extra.fuseDevice) delete unknown.fuseDevice;
    return { findings, unknown };
  } catch (error) {
    const why = `the probe container failed: ${errorMessage(error)}`;
    return { findings: {}, unknown: { userNamespaces: why, rootlessOverlay: why, fuseDevice: why }, error: why };
  }
}
