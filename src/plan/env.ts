/** Which host variables reach werf (pure). */

/** The CI systems' job variables: their runners set them in every job (the exports leave them to the runner). */
export const CI_JOB_VARS = [
  'CI',
  'CI_*',
  'GITLAB_CI',
  'GITLAB_USER_*',
  'GITHUB_*',
  'RUNNER_*',
  'BUILD_*',
  'JENKINS_URL',
  'BUILDKITE*',
] as const;

/** Passed by default: werf's own settings and the CI systems' job variables. */
export const DEFAULT_ENV_PASS = ['WERF_*', ...CI_JOB_VARS, 'DOCKER_AUTH_CONFIG'] as const;

/**
 * Secrets the default patterns match but werf never reads (werf/werf 73d8d4a:
 * no Go source reads them; `werf ci-env` reads CI_JOB_TOKEN, CI_REGISTRY*,
 * CI_PROJECT_URL, ..., cmd/werf/ci_env/ci_env.go:201-383): GitLab's ID tokens
 * (CI_JOB_JWT*), the clone URL with the job token in it, Buildkite's agent
 * token. They pass only when env.pass names them exactly.
 */
const WITHHELD_BY_DEFAULT = ['CI_JOB_JWT', 'CI_JOB_JWT_*', 'CI_REPOSITORY_URL', 'BUILDKITE_AGENT_ACCESS_TOKEN'] as const;

/** Names that werf-run owns inside the container and never copies from the host. */
const NEVER_PASS = new Set(['WERF_CONTAINERIZED', 'WERF_BUILDAH_MODE_HOST_PATH', 'HOME', 'PATH', 'USER']);

export function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

export function selectEnv(
  hostEnv: Readonly<Record<string, string | undefined>>,
  patterns: readonly string[],
  fixed: Readonly<Record<string, string>>,
  drop: readonly string[] = [],
): string[] {
  const dropped = new Set(drop);
  const matchers = patterns.map(globToRegExp);
  const withheld = WITHHELD_BY_DEFAULT.map(globToRegExp);
  const selected = new Map<string, string>();
  for (const [name, value] of Object.entries(hostEnv)) {
    // werf-run's own settings, known or misspelled, are never werf's.
    if (value === undefined || NEVER_PASS.has(name) || dropped.has(name) || name.startsWith('WERF_RUN_')) continue;
    if (withheld.some((m) => m.test(name)) && !patterns.includes(name)) continue;
    if (matchers.some((m) => m.test(name))) selected.set(name, value);
  }
  for (const [name, value] of Object.entries(fixed)) selected.set(name, value);
  return [...selected].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => `${name}=${value}`);
}

// The masking rule lives with the config (the lowest layer), so config errors use it too.
export { isSecretName, pasteableEnvEntry, redactEnvEntry } from '../config/secrets.js';
