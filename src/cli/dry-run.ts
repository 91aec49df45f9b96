/**
 * What --dry-run prints on stdout (pure): the plan as comment lines, then an
 * equivalent `docker run` command line a user can paste (secrets redacted).
 */
import type { RunPlan } from '../plan/plan.js';
import { dockerRunCommand } from '../plan/docker-command.js';
import { describeInjectedFile } from '../plan/files.js';

export interface DryRunReport {
  plan: RunPlan;
  reasons: readonly string[];
  /** e.g. "unix:///var/run/docker.sock (from default socket): docker 20.10.24, kernel 6.1" or undefined when unreachable. */
  engine: string | undefined;
  /** "present", "would be pulled (policy missing)", ... */
  imageState: string;
  configFile: string | undefined;
  project: { root: string; isGit: boolean };
  /** Host files mounted, env forwarded, ... */
  notes: readonly string[];
  /** Facts that could not be learned and were assumed, with why. */
  assumed: readonly string[];
  /** Non-default Docker endpoint, so that the command targets the same engine. */
  dockerHost?: string;
}

export function formatDryRun(report: DryRunReport): string {
  const { plan } = report;
  const lines = [
    '# werf-run --dry-run: nothing was created, pulled or started',
    `# config:  ${report.configFile ?? 'none found (defaults, environment and flags)'}`,
    `# engine:  ${report.engine ?? 'unreachable'}`,
    `# mode:    ${plan.mode} (${report.reasons.join('; ')})`,
    `# image:   ${plan.image} (${report.imageState})`,
    `# project: ${report.project.root}${report.project.isGit ? '' : ' (not a git repository)'} mounted at ${plan.container.workingDir ? plan.container.mounts[0]?.target : ''}, workdir ${plan.container.workingDir}`,
    ...report.notes.map((n) => `# ${n}`),
    // Copied in by the Engine API before start; a pasted `docker run` has no such step (docker cp would be the equivalent).
    ...plan.files.map((f) => `# file copied in before start: ${describeInjectedFile(f)}`),
    ...report.assumed.map((a) => `# assumed: ${a}`),
  ];
  const prefix = report.dockerHost ? `DOCKER_HOST=${report.dockerHost} ` : '';
  // Without werf-run's labels: a pasted container is the user's, and must not
  // look like one of werf-run's to its orphan cleanup.
  const labels = Object.fromEntries(Object.entries(plan.container.labels).filter(([key]) => !key.startsWith('werf-run.')));
  lines.push(`${prefix}${dockerRunCommand({ ...plan.container, labels })}`);
  return `${lines.join('\n')}\n`;
}
