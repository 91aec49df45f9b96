/**
 * The `[runners.docker]` settings of a GitLab Runner (docker executor) whose
 * jobs run werf in the werf image: config.toml is TOML, rendered by smol-toml.
 */
import { commentText } from './comment.js';
import { stringify } from 'smol-toml';
import { projectMountNotes, provenance, runnerDockerSettings, type ExportSpec } from './spec.js';

function gitlabRunnerObject(spec: ExportSpec): Record<string, unknown> {
  return { runners: { docker: runnerDockerSettings(spec) } };
}

/** The [runners.docker] table alone (doctor shows it for the mode it chose). */
export function gitlabRunnerToml(spec: ExportSpec): string {
  return stringify(gitlabRunnerObject(spec)).trim();
}

export function renderGitlabRunner(spec: ExportSpec): string {
  const header = [
    ...provenance(spec, 'gitlab-runner'),
    "merge these keys into the [runners.docker] section of the [[runners]] entry in the runner's config.toml",
    'jobs then use the werf image: see werf-run --export gitlab-ci',
    ...projectMountNotes(spec, "a runner volume cannot name it; the job's checkout has it at $CI_PROJECT_DIR/ (see --export gitlab-ci)"),
  ].map((l) => `# ${commentText(l)}`);
  return `${header.join('\n')}\n${gitlabRunnerToml(spec)}\n`;
}
