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
import { doctorOk, doctorText, emptyDoctorReport, factsJson } from './doctor-report.js';
import { withLifecycle } from './lifecycle.js';
import { prepareRun, type PreparedRun } from './prepare.js';
import type { RegistrySettings } from '../plan/registries-conf.js';
import type { Problem } from '../detect/choose.js';
import { imageUser } from '../plan/contract.js';
import { ulimitsFor } from '../plan/engine-quirks.js';
import { projectStep } from '../host/project-step.js';
import { hostOsOf } from '../plan/host-path.js';
import { laptopProduct } from '../plan/laptop.js';
import { inClusterAccess, SERVICE_ACCOUNT_DIR } from '../host/in-cluster.js';
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
  config: PreparedRun['config'],
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
    const { config, engine, info, image, detection, choice } = prepared;
    const report = emptyDoctorReport();
    report.inCluster = inClusterLine(ctx.env);
    if (!engine || !info) {
      const why = errorMessage(prepared.engineError);
      report.engine = { found: false, error: why };
      report.problems.push({ fact: 'engine', problem: `no usable Docker Engine: ${why}`, remedy: remedyOf(prepared.engineError) });
      report.exportHint =
        exportHint({
          inContainer: runsInContainer(readContainerSignals(), ctx.env),
          env: ctx.env,
          canStartContainers: false,
          mode: config.mode === 'auto' ? undefined : config.mode,
        }) ?? null;
    } else {
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
      // How the project's files would reach werf (checked, nothing shipped).
      let projectFiles: string | null = null;
      const projectProblems: Problem[] = [];
      if (prepared.imageError === undefined) {
        try {
          const local = /^(unix|npipe):/.test(engine.endpoint.url);
          projectFiles = (
            await projectStep({
              engine,
              project: prepared.project,
              image,
              user: imageUser(config.user),
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
            })
          ).line;
        } catch (error) {
          projectProblems.push({ fact: 'project', problem: errorMessage(error), remedy: remedyOf(error) });
        }
      }
      Object.assign(report, {
        registries: registryLines(ctx, config, info.registry, /^(unix|npipe):/.test(engine.endpoint.url)),
        projectFiles,
        cache: prepared.cache?.file ?? null,
        facts: factsJson(detection.facts),
        detection: detection.tried,
        mode: choice.mode ?? null,
        reasons: choice.reasons,
        ruledOut: choice.ruledOut,
        problems: [...report.problems, ...projectProblems, ...choice.problems],
        // The same settings as --export gitlab-runner, made from the same plan.
        gitlabRunner: choice.mode
          ? gitlabRunnerToml(
              exportSpecFor({
                mode: choice.mode,
                image,
                werfArgs: ['build'],
                project: { root: prepared.project.root, cwd: ctx.cwd },
                hostOs: hostOsOf(ctx.platform),
                config,
                facts: prepared.security,
                hostEnv: {},
              }),
            )
          : null,
      });
    }
    report.ok = doctorOk(report);
    // The report is the result, not preparation: in CI it must not land inside the collapsed section.
    reporter.endPreparation();
    ctx.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : doctorText(report));
    return report.ok ? 0 : ExitCode.doctorProblems;
  });
}
