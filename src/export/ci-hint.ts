/**
 * For `doctor`: when werf-run runs inside a CI job's container and cannot
 * start a container of its own, the settings werf needs must come from the
 * runner's configuration. This names the export that produces them (pure).
 */
import { ciKind } from '../config/ci.js';
import type { Mode } from '../config/schema.js';
import type { ExportFormat } from './formats.js';

export interface ExportHintInput {
  /** From runsInContainer(readContainerSignals(), env). */
  inContainer: boolean;
  env: Readonly<Record<string, string | undefined>>;
  /** werf-run reached a Docker Engine it can create containers on (then no hint: werf-run sets things up itself). */
  canStartContainers: boolean;
  /** The mode the host needs, when known: it is added to the suggested command. */
  mode?: Mode;
}

export interface ExportHint {
  format: ExportFormat;
  /** The line to run, e.g. `werf-run --export gitlab-runner --mode fuse`. */
  command: string;
  why: string;
}

export function exportHint(input: ExportHintInput): ExportHint | undefined {
  const { env } = input;
  const ci = ciKind(env);
  if (!input.inContainer || input.canStartContainers || !ci.isCI) return undefined;
  const inKubernetes = Boolean(env.KUBERNETES_SERVICE_HOST);
  let format: ExportFormat;
  let system: string;
  if (ci.vendor === 'gitlab')
    [format, system] = inKubernetes
      ? ['kubernetes', 'a GitLab Kubernetes executor pod']
      : ['gitlab-runner', 'a GitLab docker executor job'];
  else if (ci.vendor === 'github')
    [format, system] = inKubernetes ? ['kubernetes', 'a GitHub Actions runner pod'] : ['github-actions', 'a GitHub Actions container job'];
  else if (inKubernetes) [format, system] = ['kubernetes', 'a CI pod'];
  else [format, system] = ['docker-run', 'a CI job container'];
  const mode = input.mode ? ` --mode ${input.mode}` : '';
  return {
    format,
    command: `werf-run --export ${format}${mode}`,
    why: `werf-run runs inside ${system} and cannot start a container of its own: the runner must give the job container the settings werf needs`,
  };
}
