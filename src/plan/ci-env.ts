/**
 * `werf ci-env` in the same container as the werf command (pure). werf's docs
 * run `. "$(werf ci-env gitlab --as-file)"` and then `werf converge` in one
 * shell: ci-env writes a docker config logged in with the CI job token and a
 * script of exports inside the container (cmd/werf/ci_env/ci_env.go), which a
 * second container would never see.
 */
import { werfCommand } from './werf-in-container.js';

export type CiSystem = 'gitlab' | 'github';
export type CiEnvSetting = 'auto' | CiSystem | 'off';

/** werf commands that read what ci-env sets (repo, docker config, env, annotations). */
const CI_ENV_COMMANDS = [
  'build',
  'converge',
  'dismiss',
  'cleanup',
  'purge',
  'plan',
  'render',
  'bundle',
  'export',
  'kube-run',
  'host',
] as const;

/**
 * What `werf ci-env` reads from the job's environment (cmd/werf/ci_env/ci_env.go:
 * generateGitlabEnvs, generateGithubEnvs, and DOCKER_AUTH_CONFIG for the docker
 * config), so a snippet that runs werf in a container of its own passes them in.
 */
export const CI_ENV_INPUTS: Readonly<Record<CiSystem, readonly string[]>> = {
  gitlab: [
    'CI_REGISTRY_IMAGE',
    'CI_JOB_TOKEN',
    'CI_REGISTRY',
    'CI_ENVIRONMENT_SLUG',
    'CI_PROJECT_URL',
    'CI_COMMIT_SHA',
    'CI_COMMIT_TAG',
    'CI_PIPELINE_URL',
    'CI_JOB_URL',
    'CI_SERVER_VERSION',
    'DOCKER_AUTH_CONFIG',
    'WERF_REPO',
  ],
  github: [
    'GITHUB_REPOSITORY',
    'GITHUB_ACTOR',
    'GITHUB_TOKEN',
    'GITHUB_SHA',
    'GITHUB_REF_TYPE',
    'GITHUB_REF_NAME',
    'GITHUB_RUN_ID',
    'WERF_REPO',
  ],
};

/** Which CI's ci-env to run, and a note saying why (or why not). */
export function ciEnvFor(
  setting: CiEnvSetting,
  detected: CiSystem | undefined,
  werfArgs: readonly string[],
): { ci?: CiSystem; note: string } {
  const command = werfCommand(werfArgs) ?? '';
  if (setting === 'off') return { note: 'ciEnv off: werf ci-env is not run' };
  if (setting === 'auto') {
    if (!detected) return { note: 'ciEnv auto: not in GitLab CI or GitHub Actions, werf ci-env is not run' };
    if (command === 'host' || !(CI_ENV_COMMANDS as readonly string[]).includes(command)) {
      return { note: `ciEnv auto: werf ${command} does not use what werf ci-env sets; not run` };
    }
    return {
      ci: detected,
      note: `ciEnv auto: in ${detected === 'gitlab' ? 'GitLab CI' : 'GitHub Actions'}, werf ci-env ${detected} --as-file is sourced before werf ${command} in the same container`,
    };
  }
  return {
    ci: setting,
    note: `ciEnv ${setting}: werf ci-env ${setting} --as-file is sourced before werf ${command} in the same container`,
  };
}

/**
 * The container's command: ci-env's script sourced, then werf with the
 * user's arguments unchanged ("$@"), so werf's exit code is the container's.
 * A failing ci-env stops with its own exit code and message.
 */
export function ciEnvCommand(ci: CiSystem, werfArgs: readonly string[]): string[] {
  const script = `f="$(werf ci-env ${ci} --as-file)" || exit $?; . "$f" || exit $?; exec werf "$@"`;
  return ['sh', '-c', script, 'werf', ...werfArgs];
}
