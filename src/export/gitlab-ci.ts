/**
 * A .gitlab-ci.yml job that runs werf in the werf image. The container's
 * security settings cannot be set from a job: they come from the runner
 * (werf-run --export gitlab-runner, or kubernetes for the Kubernetes executor).
 */
import { Document } from 'yaml';
import { shellQuote } from '../plan/docker-command.js';
import { dnsName, isRunnerProvided, provenance, type ExportSpec } from './spec.js';

function gitlabCiObject(spec: ExportSpec): Record<string, unknown> {
  const werf = ['werf', ...spec.werfArgs].map(shellQuote).join(' ');
  const job: Record<string, unknown> = { image: spec.image };
  if (Object.keys(spec.envFixed).length > 0) job.variables = { ...spec.envFixed };
  job.script = spec.workdir ? [`cd ${shellQuote(spec.workdir)}`, werf] : [werf];
  return { [dnsName(spec.werfArgs[0])]: job };
}

export function renderGitlabCi(spec: ExportSpec): string {
  const doc = new Document(gitlabCiObject(spec));
  const names = spec.envNames.filter((name) => !isRunnerProvided(name));
  const passed = names.length > 0 ? [`set these as CI/CD variables (GitLab passes them to the job): ${names.join(', ')}`] : [];
  doc.commentBefore = [
    ...provenance(spec, 'gitlab-ci'),
    'add to .gitlab-ci.yml; the job needs a runner configured with: werf-run --export gitlab-runner',
    ...passed,
  ]
    .map((l) => ` ${l}`)
    .join('\n');
  return doc.toString({ lineWidth: 0 });
}
