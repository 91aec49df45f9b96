/**
 * `werf-run doctor`: what werf-run would do on this Docker host and why. It
 * always probes afresh (and refreshes the cache), prints the report (text, or
 * one JSON document with --json) on stdout, and exits 0 when some mode can
 * work, 1 otherwise.
 */
import { ExitCode, errorMessage, WerfRunError } from '../errors.js';
import { exportHint } from '../export/ci-hint.js';
import { gitlabRunnerToml } from '../export/gitlab-runner.js';
import { exportSpecFor } from '../export/spec.js';
import { readContainerSignals, runsInContainer } from '../detect/container-signals.js';
import type { Reporter } from '../reporter.js';
import type { CliOptions } from './args.js';
import type { CliContext } from './context.js';
import { doctorOk, doctorText, emptyDoctorReport, factsJson, type DoctorReport } from './doctor-report.js';
import { withLifecycle } from './lifecycle.js';
import { prepareRun, type Prepared } from './prepare.js';
import type { Engine, EngineInfo } from '../engine/port.js';
import type { Mode } from '../config/schema.js';
import type { Problem } from '../detect/choose.js';
import { imageUser } from '../plan/contract.js';
import { ulimitsFor } from '../plan/engine-quirks.js';
import { projectStep } from '../host/project-step.js';
import { hostOsOf } from '../plan/host-path.js';
import { laptopProduct } from '../plan/laptop.js';
import { inClusterAccess, SERVICE_ACCOUNT_DIR } from '../host/in-cluster.js';
import type { RegistrySettings } from '../plan/registries-conf.js';
import { DOCKER_CERTS_DIR, registryEnvironment } from '../host/registry-env.js';
import { hostTrustStore } from '../host/host-trust.js';

/** In a Pod: what werf would get from its ServiceAccount (never the token). */
function inClusterLine(env: Readonly<Record<string, string | undefined>>): string | null {
  const access = inClusterAccess(env, SERVICE_ACCOUNT_DIR);
  if (!access) return null;
  return `in-cluster: werf-run runs in a Kubernetes Pod; where no kubeconfig is there, werf gets the Pod's ServiceAccount access to ${access.server}${access.namespace ? ` (namespace ${access.namespace})` : ''}, for the commands that talk to a cluster`;
}

/** The registry hand-over a run would make (host/registry-env.ts, host/host-trust.ts), as its notes: never a secret, only paths and counts. */
function registryLines(
  ctx: CliContext,
  config: DoctorPrepared['config'],
  registry: RegistrySettings | undefined,
  engineLocal: boolean,
): string[] {
  const home = imageUser(config.user).home;
  const env = registryEnvironment({ registry, engineLocal, certsDir: DOCKER_CERTS_DIR, home });
  const trust = hostTrustStore({
    env: ctx.env,
    platform: ctx.platform,
    enabled: config.forward.hostCertificates,
    fixedEnv: config.env.set,
    home,
  });
  return [...env.notes, ...trust.notes].map((n) => n.replace(/^(registries|trust store): /, ''));
}

const remedyOf = (error: unknown): string => (error instanceof WerfRunError && error.remedy ? error.remedy : 'see the message');

export async function runDoctor(ctx: CliContext, options: CliOptions & { json?: boolean }, reporter: Reporter): Promise<number> {
  // The probe container is created through the session's engine: removed on Ctrl-C like werf's.
  return withLifecycle(ctx, reporter, async (session) => {
    const prepared = await prepareRun(ctx, options, reporter, 'doctor', session);
    const report = emptyDoctorReport();
    report.inCluster = inClusterLine(ctx.env);
    if (!prepared.engine || !prepared.info) reportNoEngine(ctx, prepared, report);
    else await reportEngine(ctx, prepared, prepared.engine, prepared.info, report, reporter);
    report.ok = doctorOk(report);
    // The report is the result, not preparation: in CI it must not land inside the collapsed section.
    reporter.endPreparation();
    ctx.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : doctorText(report));
    return report.ok ? 0 : ExitCode.doctorProblems;
  });
}

type DoctorPrepared = Prepared<'doctor'>;

/** No engine answered: why, and how to run werf-run elsewhere (the export hint). */
function reportNoEngine(ctx: CliContext, prepared: DoctorPrepared, report: DoctorReport): void {
  const why = errorMessage(prepared.engineError);
  report.engine = { found: false, error: why };
  report.problems.push({ fact: 'engine', problem: `no usable Docker Engine: ${why}`, remedy: remedyOf(prepared.engineError) });
  report.exportHint =
    exportHint({
      inContainer: runsInContainer(readContainerSignals(), ctx.env),
      env: ctx.env,
      canStartContainers: false,
      mode: prepared.config.mode === 'auto' ? undefined : prepared.config.mode,
    }) ?? null;
}

/** The engine, the image, the project's files, the facts, the mode and the GitLab runner settings. */
async function reportEngine(
  ctx: CliContext,
  prepared: DoctorPrepared,
  engine: Engine,
  info: EngineInfo,
  report: DoctorReport,
  reporter: Reporter,
): Promise<void> {
  const { image, detection, choice } = prepared;
  report.engine = { ...engine.endpoint, found: true };
  const { osType: _osType, architecture: _arch, registry: _registry, ...daemon } = info;
  report.daemon = daemon;
  report.image = { reference: image, available: true };
  if (prepared.imageError !== undefined) {
    const why = errorMessage(prepared.imageError);
    report.image = { reference: image, available: false, error: why };
    report.problems.push({
      fact: 'image',
      problem: `the werf image is not available, so nothing was probed: ${why}`,
      remedy: remedyOf(prepared.imageError),
    });
  }
  const { projectFiles, projectProblems } =
    prepared.imageError === undefined
      ? await checkProjectFiles(ctx, prepared, engine, info, reporter)
      : { projectFiles: null, projectProblems: [] };
  Object.assign(report, {
    registries: registryLines(ctx, prepared.config, info.registry, /^(unix|npipe):/.test(engine.endpoint.url)),
    projectFiles,
    cache: prepared.cache?.file ?? null,
    facts: factsJson(detection.facts),
    detection: detection.tried,
    mode: choice.mode ?? null,
    reasons: choice.reasons,
    ruledOut: choice.ruledOut,
    problems: [...report.problems, ...projectProblems, ...choice.problems],
    // The same settings as --export gitlab-runner, made from the same plan.
    gitlabRunner: choice.mode ? gitlabRunnerFor(ctx, prepared, choice.mode) : null,
  });
}

/** How the project's files would reach werf (checked, nothing shipped). */
async function checkProjectFiles(
  ctx: CliContext,
  prepared: DoctorPrepared,
  engine: Engine,
  info: EngineInfo,
  reporter: Reporter,
): Promise<{ projectFiles: string | null; projectProblems: Problem[] }> {
  try {
    const local = /^(unix|npipe):/.test(engine.endpoint.url);
    const delivery = await projectStep({
      engine,
      project: prepared.project,
      image: prepared.image,
      user: imageUser(prepared.config.user),
      ulimits: ulimitsFor(info.product),
      mayRun: true,
      checkOnly: true,
      marker: prepared.marker,
      sameHost: local && ctx.platform === 'linux' && !prepared.rootlessDaemon,
      hostOs: hostOsOf(ctx.platform),
      product: laptopProduct({
        operatingSystem: info.operatingSystem,
        name: info.name,
        endpointUrl: engine.endpoint.url,
        product: info.product,
      }),
      reporter,
    });
    return { projectFiles: delivery.line, projectProblems: [] };
  } catch (error) {
    return { projectFiles: null, projectProblems: [{ fact: 'project', problem: errorMessage(error), remedy: remedyOf(error) }] };
  }
}

/** The GitLab runner settings for the chosen mode, as --export gitlab-runner makes them. */
function gitlabRunnerFor(ctx: CliContext, prepared: DoctorPrepared, mode: Mode): string {
  return gitlabRunnerToml(
    exportSpecFor({
      mode,
      image: prepared.image,
      werfArgs: ['build'],
      project: { root: prepared.project.root, cwd: ctx.cwd },
      hostOs: hostOsOf(ctx.platform),
      config: prepared.config,
      facts: prepared.security,
      hostEnv: {},
    }),
  );
}
