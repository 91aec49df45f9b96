/**
 * The probe in werf's own first container (recover/fold-probe.ts has the
 * wrapper and the verdict): whether this run can take it, the gated attempt,
 * and what it learned handed on (the cache, the remembered project view). When
 * the findings do not fit the plan, the attempt ends before werf with Replan,
 * and the command plans again from the cache (cli/werf-command.ts).
 */
import type { Mode } from '../config/schema.js';
import type { Engine } from '../engine/port.js';
import { errorMessage } from '../errors.js';
import type { FoldedCheck } from '../host/project-step.js';
import { imageUser } from '../plan/contract.js';
import type { LaptopProduct } from '../plan/laptop.js';
import { refusedView, type ProjectView } from '../plan/project-view.js';
import { FOLD_END, foldVerdict, foldableMode, foldedSpec, readPreamble, type FoldVerdict } from '../recover/fold-probe.js';
import type { Reporter } from '../reporter.js';
import { runAttempt, type AttemptOptions, type AttemptResult } from '../run/attempt.js';
import { PROBE_TIMEOUT_MS } from '../run/probe.js';
import type { Signature } from '../recover/signatures.js';
import type { PreparedRun } from './prepare.js';
import type { Session } from './lifecycle.js';

/** werf's first container stopped before werf: plan again with what it learned. */
export class Replan extends Error {
  constructor(
    readonly why: string,
    readonly learned: { view?: ProjectView; probed: boolean },
    /** Not news for the user: werf's container was never planned with the probe (foldFor said why). */
    readonly quiet = false,
  ) {
    super(`internal: replan not handled (${why})`);
  }
}

/** Whether werf's first container can take a probe left to it (Detection.probeDeferred), or why not (then the probe container runs as before). */
export function foldFor(prepared: PreparedRun, werfUser: string | undefined, mode: Mode, platforms: readonly string[]): true | string {
  // Seen on Podman 4.3 (integration/podman.test.ts): once the answer's stdin is closed, the attach stream ends, and werf's output with it.
  if (prepared.info?.product === 'podman') return "Podman ends the attached output when the container's stdin closes after the answer";
  // --platform is checked against the probe's test programs before werf's container is planned (cli/werf-command.ts checkPlatformsFor).
  if (platforms.length) return `--platform ${platforms.join(',')} is checked against the probe's findings before werf`;
  const probeUser = imageUser(prepared.config.user).user;
  if ((werfUser ?? probeUser) !== probeUser)
    return `werf runs as ${werfUser}, the probe as the image's user ${probeUser}: the facts cached are that user's`;
  if (!foldableMode(mode)) return `werf's first mode ${mode} is not the probe's settings`;
  return true;
}

export interface Fold {
  /** The project check, when the engine's view of the checkout is not remembered. */
  check?: FoldedCheck;
  product?: LaptopProduct;
  /** werf runs as root of its namespace: no id range to adapt. */
  werfIsRoot: boolean;
}

/** werf's first attempt with the probe before werf: go, or Replan with what was learned. */
export async function foldedAttempt(
  options: AttemptOptions<Signature>,
  fold: Fold,
  context: { prepared: PreparedRun & { engine: Engine }; mode: Mode; reporter: Reporter; session: Pick<Session, 'interruptedBy'> },
): Promise<AttemptResult<Signature>> {
  const { prepared, reporter } = context;
  let verdict: FoldVerdict | undefined;
  const decide = (lines: string[], complete: boolean): 'go' | 'stop' => {
    const { probe, other } = readPreamble(lines);
    for (const line of other) reporter.debug(`werf's container, before werf: ${line}`);
    verdict = foldVerdict({
      probeText: probe,
      facts: prepared.detection.facts,
      config: prepared.config,
      daemon: { product: prepared.info?.product },
      mode: context.mode,
      werfIsRoot: fold.werfIsRoot,
      marker: fold.check?.marker,
    });
    learn(prepared, verdict, { fold, complete }, reporter);
    if (!(complete && verdict.go)) return 'stop';
    // werf goes on with these facts: recovery weighs a failure by them (cli/werf-command.ts runWerf).
    prepared.detection.facts = verdict.facts;
    return 'go';
  };
  reporter.step(
    "probing what the Docker host can do (in werf's container, before werf starts: a cold run starts no container of its own for it)",
  );
  const gate = { end: FOLD_END, decide, forwardStdin: options.spec.openStdin, timeoutMs: PROBE_TIMEOUT_MS };
  let result: AttemptResult<Signature>;
  try {
    result = await runAttempt({ ...options, spec: foldedSpec(options.spec, fold.check?.args), gate });
  } catch (error) {
    // The engine's host has no such path (or its VM does not share it): the checkout must be shipped.
    const refused = fold.check && refusedView(errorMessage(error), fold.check.marker.root, fold.product);
    if (refused) throw new Replan(`the engine refused to bind-mount the checkout: ${refused.why}`, { view: refused, probed: false });
    throw error;
  }
  if (result.gate === undefined || result.gate === 'go' || context.session.interruptedBy !== undefined) return result;
  const probed = Object.keys(verdict?.findings ?? {}).length > 0;
  const why =
    result.gate === 'incomplete'
      ? `werf's container ended before the probe in it finished (exit ${String(result.exitCode)})`
      : `werf's container stopped before werf: ${verdict && !verdict.go ? verdict.why : 'the probe stopped werf'}`;
  throw new Replan(why, { view: verdict?.view, probed });
}

/**
 * The findings into the cache (as a probe container's), a matching project view
 * remembered. A probe cut short says nothing of what it did not reach: those
 * facts are not marked untested, so the next run probes them.
 */
function learn(
  prepared: PreparedRun,
  verdict: FoldVerdict,
  { fold, complete }: { fold: Fold; complete: boolean },
  reporter: Reporter,
): void {
  if (Object.keys(verdict.findings).length) {
    const at = new Date().toISOString();
    const untested = complete ? verdict.untested : [];
    const failed = prepared.cache?.update((entry) => ({
      ...entry,
      probe: { at, image: prepared.image, findings: verdict.findings, untested },
    }));
    if (failed) reporter.debug(failed);
  }
  if (verdict.view?.kind === 'same') fold.check?.remember();
  const said = !complete ? 'it did not finish' : verdict.go ? 'the findings fit the plan; werf starts' : verdict.why;
  reporter.debug(`probe: ${said}`);
}
