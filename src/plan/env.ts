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
): string[] {
  const matchers = patterns.map(globToRegExp);
  const selected = new Map<string, string>();
  for (const [name, value] of Object.entries(hostEnv)) {
    if (value === undefined || NEVER_PASS.has(name)) continue;
    if (matchers.some((m) => m.test(name))) selected.set(name, value);
  }
  for (const [name, value] of Object.entries(fixed)) selected.set(name, value);
  return [...selected].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => `${name}=${value}`);
}

/** Variable names whose values must never be printed. */
const SECRET_NAME = /(TOKEN|PASSWORD|PASSWD|SECRET|AUTH|CREDENTIAL|PRIVATE|_KEY$|^KEY$|APIKEY|API_KEY)/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** KEY=VALUE with the value replaced when the name looks secret. */
export function redactEnvEntry(entry: string): string {
  const eq = entry.indexOf('=');
  const name = eq < 0 ? entry : entry.slice(0, eq);
  return isSecretName(name) ? `${name}=<redacted>` : entry;
}
