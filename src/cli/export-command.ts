/**
 * `werf-run --export <format> [werf command]`: the setup werf-run would use,
 * as a snippet for another system (CI runner, Compose, Kubernetes), on stdout.
 * Same config, detection and plan as a run; nothing is created or pulled.
 * With a forced --mode an unreachable engine is not an error: the snippet is
 * for another host anyway (e.g. --mode fuse for runners with old kernels).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Mode } from '../config/schema.js';
import { WerfRunError } from '../errors.js';
import { DEFAULT_KUBE_VERSION, type ExportFormat, type KubeCacheKind } from '../export/formats.js';
import { parseKubeVersion } from '../export/kubernetes.js';
import { renderExport } from '../export/render.js';
import { toExportSpec } from '../export/spec.js';
import { resolveImageRef } from '../plan/image.js';
import { plan } from '../plan/plan.js';
import type { SecurityFacts } from '../plan/security.js';
import type { CliOptions } from './args.js';
import type { CliContext } from './context.js';
import type { Reporter } from '../reporter.js';
import { connectEngine, detectHost, prepareProject, requireMode } from './prepare.js';

/** werf.yaml's `project:` value (werf's dir first, then the git root), for naming jobs and pods. */
export function readWerfProjectName(dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    for (const name of ['werf.yaml', 'werf.yml']) {
      let text: string;
      try {
        text = readFileSync(path.join(dir, name), 'utf8');
      } catch {
        continue;
      }
      return /^project:\s*["']?([A-Za-z0-9._-]+)/m.exec(text)?.[1];
    }
  }
  return undefined;
}

export async function runExport(ctx: CliContext, options: CliOptions, werfArgs: readonly string[], reporter: Reporter): Promise<number> {
  const format = options.export as ExportFormat;
  const kubeVersion = options.kubeVersion ?? DEFAULT_KUBE_VERSION;
  parseKubeVersion(kubeVersion);
  const prepared = await prepareProject(ctx, options, reporter);
  const { project, config } = prepared;
  const image = resolveImageRef(config.image);

  let mode: Mode;
  let facts: SecurityFacts;
  try {
    const engine = await connectEngine(ctx, options, prepared, reporter, undefined);
    // Nothing is pulled or created for an export: cached, /info and override facts only.
    const detected = await detectHost({
      engine,
      config,
      reporter,
      env: ctx.env,
      image,
      projectRoot: project.root,
      reprobe: false,
      mayProbe: false,
      assumed: [],
    });
    mode = requireMode(detected.choice);
    facts = detected.security;
    reporter.info(`exporting mode ${mode}: ${detected.choice.reasons.join('; ')}`);
  } catch (error) {
    if (!(error instanceof WerfRunError) || config.mode === 'auto') {
      if (error instanceof WerfRunError) {
        throw new WerfRunError(`${error.message} (needed to choose the mode to export)`, {
          remedy: `${error.remedy ?? 'start or point to a Docker Engine'}; or name the mode of the target host: --mode native|fuse`,
          exitCode: error.exitCode,
          cause: error,
        });
      }
      throw error;
    }
    mode = config.mode;
    facts = { selinux: config.detect.selinux ?? false, usernsRemap: false };
    reporter.warn(`no engine to detect from (${error.message}); exporting the forced mode ${mode}`);
  }
  // (A forced privileged mode without permission was refused by prepareProject; auto never picks it without.)
  const leftOut = [
    ...(config.mounts.length > 0 ? ['mounts (add your extra bind mounts to the snippet by hand)'] : []),
    ...(config.mountDockerSocket ? ['mountDockerSocket (mount the runner\'s Docker socket by hand if werf needs it)'] : []),
  ];
  for (const key of leftOut) reporter.warn(`--export leaves out ${key}`);

  const runPlan = plan({
    mode,
    image,
    werfArgs,
    project: { root: project.root, cwd: ctx.cwd },
    config,
    facts,
    hostEnv: ctx.env,
    owner: { host: 'export', pid: 0, startedAt: '' },
    tty: false,
  });
  reporter.endPreparation();
  const spec = toExportSpec({ plan: runPlan, config, werfArgs, projectName: readWerfProjectName([ctx.cwd, project.root]) });
  ctx.stdout.write(renderExport(format, spec, { kubeVersion, cacheVolumes: (options.kubeVolumes ?? 'emptyDir') as KubeCacheKind }));
  return 0;
}
