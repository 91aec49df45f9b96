/**
 * `werf-run --export <format> [werf command]`: the setup werf-run would use,
 * as a snippet for another system (CI runner, Compose, Kubernetes), on stdout.
 * Same config, detection and plan as a run; nothing is created or pulled.
 * With a forced --mode an unreachable engine is not an error: the snippet is
 * for another host anyway (e.g. --mode fuse for runners with old kernels).
 */
import path from 'node:path';
import { readTextIfExists } from '../files.js';
import type { Mode } from '../config/schema.js';
import { WerfRunError, errorMessage } from '../errors.js';
import { requireMode } from '../detect/choose.js';
import { DEFAULT_KUBE_VERSION, type ExportFormat, type KubeCacheKind } from '../export/formats.js';
import { parseKubeVersion } from '../export/kubernetes.js';
import { renderExport } from '../export/render.js';
import { exportSpecFor } from '../export/spec.js';
import { ciEnvFor } from '../plan/ci-env.js';
import { loopbackTargetsInWerfArgs } from '../plan/network.js';
import { hostOsOf } from '../plan/host-path.js';
import type { CliOptions } from './args.js';
import type { CliContext } from './context.js';
import type { Reporter } from '../reporter.js';
import { prepareRun, type Prepared } from './prepare.js';

/** werf.yaml's `project:` value (werf's dir first, then the git root), for naming jobs and pods. */
function readWerfProjectName(dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    for (const name of ['werf.yaml', 'werf.yml']) {
      const text = readTextIfExists(path.join(dir, name));
      if (text !== undefined) return /^project:\s*["']?([A-Za-z0-9._-]+)/m.exec(text)?.[1];
    }
  }
  return undefined;
}

/** Settings no snippet can carry: said, not silently dropped. */
function leftOut(config: Prepared<'export'>['config']): string[] {
  return [
    ...(config.mounts.length > 0 ? ['mounts (add your extra bind mounts to the snippet by hand)'] : []),
    ...(config.mountDockerSocket ? ["mountDockerSocket (mount the runner's Docker socket by hand if werf needs it)"] : []),
    // No snippet can load images out of the container's buildah storage afterwards: a runner pushes them (--repo).
    ...(config.load
      ? ["load: it has no equivalent there (werf's images stay in the storage volume; build with --repo and docker pull)"]
      : []),
  ];
}

export async function runExport(ctx: CliContext, options: CliOptions, werfArgs: readonly string[], reporter: Reporter): Promise<number> {
  const format = options.export as ExportFormat;
  const kubeVersion = options.kubeVersion ?? DEFAULT_KUBE_VERSION;
  parseKubeVersion(kubeVersion);
  // Nothing is pulled or created for an export: cached, /info and override facts only.
  const prepared = await prepareRun(ctx, options, reporter, 'export');
  const { project, config, image, engine, choice } = prepared;
  const needed = (error: unknown): unknown =>
    error instanceof WerfRunError
      ? new WerfRunError(`${error.message} (needed to choose the mode to export)`, {
          remedy: `${error.remedy ?? 'start or point to a Docker Engine'}; or name the mode of the target host: --mode native|fuse`,
          exitCode: error.exitCode,
          cause: error,
        })
      : error;
  let mode: Mode;
  if (engine) {
    try {
      mode = requireMode(choice);
    } catch (error) {
      throw needed(error);
    }
    reporter.info(`exporting mode ${mode}: ${choice.reasons.join('; ')}`);
  } else {
    if (config.mode === 'auto') throw needed(prepared.engineError);
    mode = config.mode;
    reporter.warn(`no engine to detect from (${errorMessage(prepared.engineError)}); exporting the forced mode ${mode}`);
  }
  // (A forced privileged mode without permission was refused by prepareRun; auto never picks it without.)
  for (const key of leftOut(config)) reporter.warn(`--export leaves out ${key}`);

  // A loopback registry in werf's arguments or variables is loopback wherever the snippet runs: werf needs the host's network there too.
  const loopback = config.network === undefined ? loopbackTargetsInWerfArgs(werfArgs, ctx.env, undefined) : [];
  if (loopback.length > 0)
    reporter.info(
      `exporting network host: werf talks to loopback addresses (${loopback.map((t) => t.what).join(', ')}), which only the host's network reaches`,
    );
  // ciEnv as a run in the snippet's CI would do it: auto follows the format's CI (none for docker-run, compose, kubernetes).
  const formatCi = format === 'gitlab-ci' ? 'gitlab' : format === 'github-actions' ? 'github' : undefined;
  const ciEnv =
    format === 'gitlab-runner' ? { note: 'ciEnv: the runner config carries no command' } : ciEnvFor(config.ciEnv, formatCi, werfArgs);
  reporter.info(`exporting ${ciEnv.note}`);
  const spec = exportSpecFor({
    mode,
    image,
    werfArgs,
    ...(ciEnv.ci ? { exportCiEnv: ciEnv.ci } : {}),
    ...(loopback.length > 0 ? { network: { networkMode: 'host' } } : {}),
    project: { root: project.root, cwd: ctx.cwd, gitDirs: project.gitDirs },
    hostOs: hostOsOf(ctx.platform),
    config,
    facts: prepared.security,
    hostEnv: ctx.env,
    projectName: readWerfProjectName([ctx.cwd, project.root]),
  });
  reporter.endPreparation();
  ctx.stdout.write(renderExport(format, spec, { kubeVersion, cacheVolumes: (options.kubeVolumes ?? 'emptyDir') as KubeCacheKind }));
  return 0;
}
