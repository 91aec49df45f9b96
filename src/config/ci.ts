/**
 * Which CI system runs werf-run, worked out once from the environment passed in
 * (pure): the task list is off in CI, `ciEnv` asks werf for its `ci-env`, the
 * output opens the CI's collapsible group and `doctor` names the export a CI
 * job container needs. All four read this one answer.
 *
 * Not ci-info: it reads `process.env` once, when it loads, with no way to hand
 * it another environment, so it saw past the CLI's injected one (CliContext.env)
 * and tests could not set it. Its rules are kept here: `CI=false` turns
 * everything off; the vendor-neutral variables ci-info reads
 * (ci-info/index.js, `exports.isCI`) or a vendor's own marker
 * (ci-info/vendors.json: GitLab, GitHub Actions, Jenkins, Buildkite, Azure
 * Pipelines, the ones werf-run's users run) say it is CI.
 */

/** The CI systems werf-run has something of its own for (werf's `ci-env`, collapsible groups, exports). */
type CiVendor = 'gitlab' | 'github';

export interface CiKind {
  /** Running in a CI job: no task list, the job's own conventions. */
  isCI: boolean;
  vendor: CiVendor | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/** ci-info's vendor-neutral variables: any of them set (and CI not "false") means CI. */
const NEUTRAL = [
  'CI',
  'BUILD_ID',
  'BUILD_NUMBER',
  'CI_APP_ID',
  'CI_BUILD_ID',
  'CI_BUILD_NUMBER',
  'CI_NAME',
  'CONTINUOUS_INTEGRATION',
  'RUN_ID',
];
/** Vendors' own markers, as ci-info's vendors.json names them. */
const VENDOR_MARKERS = ['GITLAB_CI', 'GITHUB_ACTIONS', 'JENKINS_URL', 'BUILDKITE', 'TF_BUILD'];

export function ciKind(env: Env): CiKind {
  if (env.CI === 'false') return { isCI: false, vendor: undefined };
  const vendor: CiVendor | undefined = env.GITLAB_CI ? 'gitlab' : env.GITHUB_ACTIONS ? 'github' : undefined;
  const isCI = [...NEUTRAL, ...VENDOR_MARKERS].some((name) => Boolean(env[name]));
  return { isCI, vendor };
}
