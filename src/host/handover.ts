/**
 * What werf gets from the caller's machine, in one shape.
 *
 * Every reader of the host (registry credentials, kubeconfig, ssh, proxies,
 * werf's own path variables, ...) returns a Handover; readHost() runs an
 * ordered list of them and merges the results, the way detect/detect.ts runs
 * its ordered fact sources. Adding "hand werf one more host file" is one
 * reader and one line in the list (host/readers.ts).
 */
import type { InjectedFile } from '../plan/files.js';
import type { LoopbackTarget } from '../plan/network.js';

export interface Handover {
  /** Written into the container before start (archive API), never onto this host's disk. */
  files: InjectedFile[];
  /** Files or sockets of this machine bind-mounted read-only (the ssh agent on a local engine); writable: a directory werf writes an output file into. */
  mounts: { source: string; target: string; writable?: boolean }[];
  /** Variables werf gets; a later reader's value wins. */
  env: Record<string, string>;
  /** Host variables werf must not get (they name paths it cannot see). */
  dropEnv: string[];
  /** werf's arguments as they go into the container, when a reader rewrote a host path in them. */
  werfArgs?: readonly string[];
  /** Servers on this machine's loopback werf will contact (for the network decision). */
  loopback: LoopbackTarget[];
  /** What was handed over or skipped and why: --verbose and --dry-run list them. */
  notes: string[];
  /** What the user should know before werf starts. */
  warnings: string[];
}

/** A Handover with only the given parts. */
export function handover(parts: Partial<Handover> = {}): Handover {
  return { files: [], mounts: [], env: {}, dropEnv: [], loopback: [], notes: [], warnings: [], ...parts };
}

/** Merges in order: lists are concatenated, a later variable or werfArgs wins. */
function mergeHandovers(parts: readonly Handover[]): Handover {
  const merged = handover();
  for (const part of parts) {
    merged.files.push(...part.files);
    merged.mounts.push(...part.mounts);
    Object.assign(merged.env, part.env);
    merged.dropEnv.push(...part.dropEnv);
    if (part.werfArgs) merged.werfArgs = part.werfArgs;
    merged.loopback.push(...part.loopback);
    merged.notes.push(...part.notes);
    merged.warnings.push(...part.warnings);
  }
  return merged;
}

/** One reader: a small function of explicit inputs (never process.env or os.homedir()). */
export type HostReader<Input> = (input: Input) => Handover | Promise<Handover>;

/**
 * Runs the readers in order and merges what they hand over. Each reader sees
 * werf's arguments as the readers before it left them.
 */
export async function readHost<Input extends { werfArgs: readonly string[] }>(
  readers: readonly HostReader<Input>[],
  input: Input,
): Promise<Handover> {
  const parts: Handover[] = [];
  let werfArgs = input.werfArgs;
  for (const reader of readers) {
    const part = await reader({ ...input, werfArgs });
    if (part.werfArgs) werfArgs = part.werfArgs;
    parts.push(part);
  }
  return mergeHandovers(parts);
}
