/**
 * Runs the probe container (its settings and script: detect/probe-script.ts)
 * as one attempt, a few seconds, always removed. When the engine refuses
 * /dev/fuse (the host has none) that is a finding too, and the probe runs
 * again without it. detect() gets this function passed in: detection decides,
 * run/ runs containers.
 */
import { Writable } from 'node:stream';
import type { Engine } from '../engine/port.js';
import { errorMessage } from '../errors.js';
import type { Findings } from '../detect/facts.js';
import { parseProbeOutput, probeSpec, type ProbeOutcome, type ProbeTarget } from '../detect/probe-script.js';
import { classify } from '../recover/signatures.js';
import { runAttempt } from './attempt.js';

const PROBE_TIMEOUT_MS = 60_000;

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

/** Runs the probe; never throws for what the host cannot do, only for engine trouble (those are returned as `error`). */
export async function runProbe(engine: Engine, target: ProbeTarget): Promise<ProbeOutcome> {
  const run = async (withFuse: boolean) => {
    const out = new Collect();
    // The script takes well under a second; a probe that hangs is killed, and what it printed so far still counts.
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await runAttempt(engine, probeSpec(target, withFuse), { stdout: out, stderr: out }, classify, {
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
