/**
 * A .gitlab-ci.yml job that runs werf in the werf image. The container's
 * security settings cannot be set from a job: they come from the runner
 * (werf-run --export gitlab-runner, or kubernetes for the Kubernetes executor).
 */
import { commentText } from './comment.js';
import { Document } from 'yaml';
import { shellQuote } from '../plan/docker-command.js';
import { stringify } from 'smol-toml';
import {
  dnsName,
  isRunnerProvided,
  projectMountNotes,
  provenance,
  runnerDockerSettings,
  werfScriptLines,
  type ExportSpec,
} from './spec.js';

function gitlabCiObject(spec: ExportSpec): Record<string, unknown> {
  const werf = werfScriptLines(spec);
  const job: Record<string, unknown> = { image: spec.image };
  if (Object.keys(spec.envFixed).length > 0) job.variables = { ...spec.envFixed };
  job.script = spec.workdir ? [`cd ${shellQuote(spec.workdir)}`, ...werf] : werf;
  return { [dnsName(spec.werfArgs[0])]: job };
}

export function renderGitlabCi(spec: ExportSpec): string {
  const doc = new Document(gitlabCiObject(spec));
  const names = spec.envNames.filter((name) => !isRunnerProvided(name));
  const passed = names.length > 0 ? [`set these as CI/CD variables (GitLab passes them to the job): ${names.join(', ')}`] : [];
  doc.commentBefore = [
    ...provenance(spec, 'gitlab-ci'),
    'add to .gitlab-ci.yml; the job needs a runner configured with: werf-run --export gitlab-runner',
    // A job cannot set the container's settings: they are the runner's, so they are named here.
    "the runner's [runners.docker] must have:",
    ...stringify(runnerDockerSettings(spec))
      .trim()
      .split('\n')
      .map((line) => `  ${line}`),
    ...projectMountNotes(
      spec,
      'the job sees it in its checkout, $CI_PROJECT_DIR/; link or copy it there in the script if werf needs it at the target',
    ),
    ...passed,
  ]
    .map((l) => ` ${commentText(l)}`)
    .join('\n');
  return doc.toString({ lineWidth: 0 });
}
