/**
 * A GitHub Actions container job. GitHub's runners own the workspace as uid
 * 1001, so werf runs as the image's second user, build1001, with its home's
 * cache volumes (werf's documented setup).
 */
import { Document } from 'yaml';
import { isSecretName } from '../plan/env.js';
import { dockerRunLines } from './docker-run.js';
import { cacheTargets, dnsName, isRunnerProvided, provenance, uidOf, werfScriptLines, type ExportSpec } from './spec.js';

const GITHUB_USER = 'build1001';

/**
 * Without privileges werf's buildah creates user namespaces, which Ubuntu
 * 24.04 (GitHub's ubuntu-latest) forbids unprivileged and unconfined
 * processes by AppArmor (kernel.apparmor_restrict_unprivileged_userns=1; the
 * runner images keep that default: actions/runner-images#11489 was closed).
 * Only the runner can lift it: a step on the runner, before werf.
 */
const needsUsernsStep = (spec: ExportSpec): boolean => !spec.privileged;

const USERNS_STEP = {
  name: "let werf's buildah create user namespaces (Ubuntu 24.04 runners restrict them by AppArmor)",
  run:
    'for k in apparmor_restrict_unprivileged_userns apparmor_restrict_unprivileged_unconfined; do\n' +
    '  f=/proc/sys/kernel/$k; [ ! -e "$f" ] || [ "$(cat "$f")" = 0 ] || sudo sysctl -qw "kernel.$k=0"\n' +
    'done',
};

/**
 * What a container job cannot have: a step on the runner before werf (the
 * steps of a container job run in its container), --network in
 * `container.options` (GitHub refuses it), volumes that name the checkout.
 * With any of them, werf runs with `docker run` from a step on the runner.
 */
function needsDockerRun(spec: ExportSpec): boolean {
  return needsUsernsStep(spec) || spec.network !== undefined || spec.mounts.length > 0;
}

/** The runner's workspace is owned by uid 1001, so werf runs as build1001 unless config.user says otherwise. */
const githubUser = (spec: ExportSpec): string => (spec.userSet ? spec.user : GITHUB_USER);

function jobEnv(spec: ExportSpec): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of spec.envNames) {
    if (!isRunnerProvided(name)) env[name] = `\${{ ${isSecretName(name) ? 'secrets' : 'vars'}.${name} }}`;
  }
  return Object.assign(env, spec.envFixed);
}

function githubActionsObject(spec: ExportSpec): Record<string, unknown> {
  const user = githubUser(spec);
  const t = cacheTargets(user);
  const env = jobEnv(spec);
  const checkout = { uses: 'actions/checkout@v4', with: { 'fetch-depth': 0 } };
  if (needsDockerRun(spec)) {
    // The step runs in the workspace on the runner, so "$PWD" is the checkout.
    const job: Record<string, unknown> = { 'runs-on': 'ubuntu-latest' };
    if (Object.keys(env).length > 0) job.env = env;
    job.steps = [
      checkout,
      ...(needsUsernsStep(spec) ? [USERNS_STEP] : []),
      { run: literalForActions(dockerRunLines({ ...spec, user }).join(' \\\n  ')) },
    ];
    return { jobs: { [dnsName(spec.werfArgs[0])]: job } };
  }
  const options = [`--user ${uidOf(user) ?? user}`];
  for (const opt of spec.securityOpt) options.push(`--security-opt ${opt}`);
  for (const device of spec.devices) options.push(`--device ${device}`);
  if (spec.privileged) options.push('--privileged');
  if (spec.usernsMode) options.push(`--userns=${spec.usernsMode}`);
  const run: Record<string, unknown> = { run: literalForActions(werfScriptLines(spec).join('\n')) };
  if (spec.workdir) run['working-directory'] = spec.workdir;
  // The runner sets HOME=/github/home in job containers; werf and buildah must use
  // the image user's home, where the cache volumes are.
  run.env = { HOME: t.home };
  const job: Record<string, unknown> = {
    'runs-on': 'ubuntu-latest',
    container: {
      image: spec.image,
      options: options.join(' '),
      volumes: [`${spec.volumes.storage}:${t.storage}`, `${spec.volumes.werfHome}:${t.werfHome}`],
    },
  };
  if (Object.keys(env).length > 0) job.env = env;
  job.steps = [checkout, run];
  return { jobs: { [dnsName(spec.werfArgs[0])]: job } };
}

function dockerRunReason(spec: ExportSpec): string {
  if (spec.network) return `a container job cannot have --network ${spec.network} (GitHub refuses --network in container options)`;
  if (spec.mounts.length > 0) return 'a container job cannot have bind mounts of the checkout';
  return "after a step that lets werf's buildah create user namespaces (Ubuntu 24.04 runners forbid them by AppArmor; a container job's steps run in its container, where that cannot be changed)";
}

export function renderGithubActions(spec: ExportSpec): string {
  const doc = new Document(githubActionsObject(spec));
  doc.commentBefore = [
    ...provenance(spec, 'github-actions'),
    `merge into a workflow under .github/workflows/; werf runs as ${githubUser(spec)}${spec.userSet ? ' (config user)' : " (uid 1001, the runner's workspace owner)"}`,
    ...(needsDockerRun(spec) ? [`werf runs with docker run on the runner: ${dockerRunReason(spec)}`] : []),
  ]
    .map((l) => ` ${l}`)
    .join('\n');
  return doc.toString({ lineWidth: 0 });
}

/**
 * A `run:` block as plain text: GitHub Actions evaluates every `${{ ... }}` in
 * it before the shell sees it (a value of the project's could read secrets or
 * inject a command). The expression `${{ '${{' }}` is the literal text.
 */
export function literalForActions(text: string): string {
  return text.replaceAll('${{', "${{ '${{' }}");
}
