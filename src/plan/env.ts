/** Which host variables reach werf (pure). */

/** Passed by default: werf's own settings and the CI systems' job variables. */
export const DEFAULT_ENV_PASS = [
  'WERF_*',
  'CI',
  'CI_*',
  'GITLAB_CI',
  'GITLAB_USER_*',
  'GITHUB_*',
  'RUNNER_*',
  'BUILD_*',
  'JENKINS_URL',
  'BUILDKITE*',
  'DOCKER_AUTH_CONFIG',
] as const;

/** Names that werf-run owns inside the container and never copies from the host. */
const NEVER_PASS = new Set(['WERF_CONTAINERIZED', 'WERF_BUILDAH_MODE_HOST_PATH', 'HOME', 'PATH', 'USER']);

export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
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
  const selected = new Map<string, string>();
  for (const [name, value] of Object.entries(hostEnv)) {
    // werf-run's own settings, known or misspelled, are never werf's.
    if (value === undefined || NEVER_PASS.has(name) || dropped.has(name) || name.startsWith('WERF_RUN_')) continue;
    if (matchers.some((m) => m.test(name))) selected.set(name, value);
  }
  for (const [name, value] of Object.entries(fixed)) selected.set(name, value);
  return [...selected].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => `${name}=${value}`);
}

/**
 * Variable names whose values must never be printed: credentials by name, and
 * values that are whole secrets in disguise (JWTs, base64 kubeconfigs such as
 * WERF_KUBE_CONFIG_BASE64, kubeconfig contents).
 */
const SECRET_NAME = /(TOKEN|PASSWORD|PASSWD|SECRET|AUTH|CREDENTIAL|PRIVATE|_KEY$|^KEY$|APIKEY|API_KEY|JWT|BASE64|KUBE_?CONFIG_?(DATA|CONTENT)|CERT_?DATA)/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** user:password@ inside a URL (GitLab's CI_REPOSITORY_URL carries the job token this way, proxies their password). */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi;

/** KEY=VALUE with the value replaced when the name looks secret, and any URL password in the value masked. */
export function redactEnvEntry(entry: string): string {
  const eq = entry.indexOf('=');
  const name = eq < 0 ? entry : entry.slice(0, eq);
  if (isSecretName(name)) return `${name}=<redacted>`;
  return entry.replace(URL_PASSWORD, '$1<redacted>@');
}
