/**
 * The probe folded into werf's first container (pure). On a cold run (no
 * cached facts for this daemon) werf-run does not start a probe container of
 * its own: werf's container, planned from what /info says, first runs the
 * probe's script (and the project check, when the engine's view of the
 * checkout is not remembered), prints what it learned on stderr lines of its
 * own, and waits for one line on its stdin. werf-run reads those lines, and
 * answers `go` when they agree with the plan (werf is exec'd in its place) or
 * `stop` when they do not (werf never starts; the run is planned again from
 * what was learned). One container, not two: a container start is most of
 * the probe's cost (issue 22).
 */
import type { Config, Mode } from '../config/schema.js';
import { chooseMode, type DaemonContext } from '../detect/choose.js';
import { PROBED_KEYS, mergeFindings, type FactKey, type Facts, type Findings } from '../detect/facts.js';
import { idAdaptation } from '../detect/id-range.js';
import { FOLDED_PROBE_SCRIPT, parseProbeOutput } from '../detect/probe-script.js';
import type { ContainerSpec } from '../engine/port.js';
import { PROJECT_VIEW_SCRIPT, parseProjectView, type ProjectMarker, type ProjectView } from '../plan/project-view.js';
import { shellQuote } from '../plan/docker-command.js';

/** Each line the wrapper prints before werf starts begins with this, on stderr. */
export const FOLD_PREFIX = 'werf-run-probe> ';
/** The last line before the wrapper reads werf-run's answer. */
export const FOLD_END = 'werf-run-probe-end';

/** The modes whose container is the probe container's (seccomp and AppArmor unconfined; fuse adds /dev/fuse). Privileged would prove nothing about the others. */
const FOLDABLE_MODES: readonly Mode[] = ['native', 'fuse'];

export function foldableMode(mode: Mode): boolean {
  return FOLDABLE_MODES.includes(mode);
}

/**
 * werf's container with the probe before werf: `sh -c WRAPPER werf-run-probe CMD...`.
 * The probe's output (its stdin /dev/null) goes to stderr line by line with
 * FOLD_PREFIX; then FOLD_END; then one line is read from stdin (the container's
 * stdin is open for it; `read` takes no byte past its newline, so piped input
 * after it is werf's); anything but `go` ends the container before werf.
 * The image needs no entrypoint: werf's images have none (werf's
 * scripts/werf-in-image/dockerfile/werf/alpine.Dockerfile sets USER and
 * WORKDIR only, lines 33-45), and werf-run runs `werf ...` as the command, as
 * the probe container runs `sh -c`.
 */
export function foldedSpec(spec: ContainerSpec, viewArgs: readonly string[] | undefined): ContainerSpec {
  const view = viewArgs ? `(\nset -- ${viewArgs.map(shellQuote).join(' ')}\n${PROJECT_VIEW_SCRIPT}\n)\n` : '';
  const wrapper = [
    // The shell is the container's PID 1 until it execs werf: without a trap it would ignore the stop signal, and a Ctrl-C here would wait for the engine's kill.
    "trap 'exit 143' TERM; trap 'exit 130' INT",
    `(\n${FOLDED_PROBE_SCRIPT}${view}) </dev/null 2>&1 | while IFS= read -r werf_run_line; do printf '${FOLD_PREFIX}%s\\n' "$werf_run_line"; done >&2`,
    `echo ${FOLD_END} >&2`,
    'IFS= read -r werf_run_go || werf_run_go=',
    '[ "$werf_run_go" = go ] || exit 0',
    'unset werf_run_line werf_run_go; trap - TERM INT',
    'exec "$@"',
  ].join('\n');
  return { ...spec, cmd: ['sh', '-c', wrapper, 'werf-run-probe', ...spec.cmd], openStdin: true };
}

/** The stderr lines before FOLD_END, split into the probe's (prefix removed) and any others (the shell's own complaints). */
export function readPreamble(lines: readonly string[]): { probe: string; other: string[] } {
  const probe: string[] = [];
  const other: string[] = [];
  for (const line of lines) {
    if (line.startsWith(FOLD_PREFIX)) probe.push(line.slice(FOLD_PREFIX.length));
    else if (line.trim()) other.push(line);
  }
  return { probe: probe.join('\n'), other };
}

export interface FoldInput {
  /** What the wrapper printed before FOLD_END, prefixes removed. */
  probeText: string;
  /** The facts the plan was made from (override, /info, nothing cached). */
  facts: Facts;
  config: Pick<Config, 'mode' | 'allowPrivileged'>;
  daemon: DaemonContext;
  /** The mode werf's container was planned in. */
  mode: Mode;
  /** werf runs as root of its namespace: no id range to adapt (cli/werf-command.ts). */
  werfIsRoot: boolean;
  /** The project check's marker, when the wrapper checked the project. */
  marker?: ProjectMarker;
}

export type FoldVerdict = {
  /** What the probe learned: cached as a probe container's findings are. */
  findings: Findings;
  /** What it could not learn there (no /dev/fuse in the native mode's container): the cache says so, and the next run does not probe for it. */
  untested: FactKey[];
  /** What the project check saw (undefined: not checked in this container). */
  view?: ProjectView;
  facts: Facts;
} & ({ go: true } | { go: false; why: string });

/** Whether werf may start in the container planned without these facts: the same mode, no id range to hand in, the checkout there. */
export function foldVerdict(input: FoldInput): FoldVerdict {
  const parsed = parseProbeOutput(input.probeText);
  const { findings } = parsed;
  const facts = mergeFindings(input.facts, 'probe', findings);
  const view = input.marker ? parseProjectView(input.probeText, input.marker) : undefined;
  const untested = PROBED_KEYS.filter((k) => findings[k] === undefined);
  const base = { findings, untested, facts, ...(view ? { view } : {}) };
  if (view && view.kind !== 'same')
    return {
      ...base,
      go: false,
      why:
        view.kind === 'denied'
          ? 'the image user cannot read the project there'
          : `the engine's host does not see this checkout: ${view.why}`,
    };
  const choice = chooseMode(facts, input.config, undefined, input.daemon);
  if (choice.mode !== input.mode) {
    const now = choice.mode ? `mode ${choice.mode}` : 'no mode';
    return { ...base, go: false, why: `what the probe learned calls for ${now}, not ${input.mode}: ${choice.reasons.join('; ')}` };
  }
  if (!input.werfIsRoot && idAdaptation(facts.idRange.value))
    return {
      ...base,
      go: false,
      why: "the container's id range is too small for the image's /etc/subuid: werf-run hands in one that fits",
    };
  return { ...base, go: true };
}
