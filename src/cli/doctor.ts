/**
 * `werf-run doctor`: what werf-run would do on this Docker host and why. It
 * always probes afresh (and refreshes the cache), prints the report (text, or
 * one JSON document with --json) on stdout, and exits 0 when some mode can
 * work, 1 otherwise.
 */
import type { Engine, EngineInfo } from '../engine/port.js';
import { errorMessage, ExitCode, WerfRunError } from '../errors.js';
import { resolveImageRef } from '../plan/image.js';
import { ensureImage } from '../run/pull.js';
import type { CliOptions } from './args.js';
import type { CliContext } from './context.js';
import { detectStep } from './detect-step.js';
import { doctorText, emptyDoctorReport, factsJson, gitlabRunnerConfig } from './doctor-report.js';
import { connectEngine, prepareProject } from './prepare.js';
import { withLifecycle, type Session } from './lifecycle.js';
import { exportHint } from '../export/ci-hint.js';
import { readContainerSignals, runsInContainer } from '../detect/container-signals.js';
import { authProvider } from './docker-setup.js';
import type { Reporter } from '../reporter.js';

const remedyOf = (error: unknown): string => (error instanceof WerfRunError && error.remedy ? error.remedy : 'see the message');

export async function runDoctor(ctx: CliContext, options: CliOptions & { json?: boolean }, reporter: Reporter): Promise<number> {
  // The probe container is created through the session's engine: removed on Ctrl-C like werf's.
  return withLifecycle(ctx, reporter, (session) => diagnose(ctx, options, reporter, session));
}

async function diagnose(ctx: CliContext, options: CliOptions & { json?: boolean }, reporter: Reporter, session: Session): Promise<number> {
  const prepared = await prepareProject(ctx, options, reporter);
  const { project, config } = prepared;
  const report = emptyDoctorReport();
  const finish = (): number => {
    ctx.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : doctorText(report));
    return report.ok ? 0 : ExitCode.doctorProblems;
  };

  let engine: Engine;
  let info: EngineInfo;
  try {
    const found = await connectEngine(ctx, options, prepared, reporter, undefined, session.openEngine);
    if (!found) throw new WerfRunError('no Docker Engine'); // connectEngine throws when not optional
    engine = found;
    await session.engineReady(engine);
    report.engine = { ...engine.endpoint, found: true };
    info = await engine.info();
  } catch (error) {
    report.engine = { found: false, error: errorMessage(error) };
    report.problems.push({ fact: 'engine', problem: `no usable Docker Engine: ${errorMessage(error)}`, remedy: remedyOf(error) });
    report.exportHint =
      exportHint({
        inContainer: runsInContainer(readContainerSignals(), ctx.env),
        env: ctx.env,
        canStartContainers: false,
        mode: config.mode === 'auto' ? undefined : config.mode,
      }) ?? null;
    return finish();
  }
  const { osType: _osType, architecture: _arch, ...daemon } = info;
  report.daemon = daemon;

  const image = resolveImageRef(config.image);
  report.image = { reference: image, available: true };
  try {
    await ensureImage(engine, image, config.image.pull, authProvider(prepared.dockerSetup, ctx.env, image), reporter);
  } catch (error) {
    report.image = { reference: image, available: false, error: errorMessage(error) };
    report.problems.push({ fact: 'image', problem: `the werf image is not available, so nothing was probed: ${errorMessage(error)}`, remedy: remedyOf(error) });
  }
  const step = await detectStep({
    engine, info, config, env: ctx.env, image, projectRoot: project.root,
    reprobe: true, mayProbe: report.image.available, reporter,
  });
  const { choice, detection } = step;
  Object.assign(report, {
    ok: choice.mode !== undefined,
    cache: step.cache.file,
    facts: factsJson(detection.facts),
    detection: detection.tried,
    mode: choice.mode ?? null,
    reasons: choice.reasons,
    ruledOut: choice.ruledOut,
    problems: [...report.problems, ...choice.problems],
    gitlabRunner: choice.mode ? gitlabRunnerConfig(choice.mode, detection.facts.selinux.value ?? false, config.volumes) : null,
  });
  return finish();
}
