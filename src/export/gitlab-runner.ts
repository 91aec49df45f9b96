/**
 * The `[runners.docker]` settings of a GitLab Runner (docker executor) whose
 * jobs run werf in the werf image: config.toml is TOML, rendered by smol-toml.
 */
import { stringify } from 'smol-toml';
import { cacheTargets, provenance, type ExportSpec } from './spec.js';

/** GitLab's docs write security options with a colon ("seccomp:unconfined"); Docker reads both. */
const colonForm = (opt: string): string => opt.replace('=', ':');

function gitlabRunnerObject(spec: ExportSpec): Record<string, unknown> {
  const t = cacheTargets(spec.user);
  const docker: Record<string, unknown> = {};
  if (spec.securityOpt.length > 0) docker.security_opt = spec.securityOpt.map(colonForm);
  if (spec.devices.length > 0) docker.devices = [...spec.devices];
  docker.privileged = spec.privileged;
  if (spec.usernsMode) docker.userns_mode = spec.usernsMode;
  if (spec.network) docker.network_mode = spec.network;
  docker.volumes = [`${spec.volumes.storage}:${t.storage}`, `${spec.volumes.werfHome}:${t.werfHome}`];
  return { runners: { docker } };
}

/** The [runners.docker] table alone (doctor shows it for the mode it chose). */
export function gitlabRunnerToml(spec: ExportSpec): string {
  return stringify(gitlabRunnerObject(spec)).trim();
}

export function renderGitlabRunner(spec: ExportSpec): string {
  const header = [
    ...provenance(spec, 'gitlab-runner'),
    'merge these keys into the [runners.docker] section of the [[runners]] entry in the runner\'s config.toml',
    'jobs then use the werf image: see werf-run --export gitlab-ci',
  ].map((l) => `# ${l}`);
  return `${header.join('\n')}\n${gitlabRunnerToml(spec)}\n`;
}
