/**
 * A GitHub Actions container job. GitHub's runners own the workspace as uid
 * 1001, so werf runs as the image's second user, build1001, with its home's
 * cache volumes (werf's documented setup).
 */
import { Document } from 'yaml';
import { shellQuote } from '../plan/docker-command.js';
import { isSecretName } from '../plan/env.js';
import { cacheTargets, dnsName, isRunnerProvided, provenance, uidOf, type ExportSpec } from './spec.js';

const GITHUB_USER = 'build1001';

function githubActionsObject(spec: ExportSpec): Record<string, unknown> {
  const t = cacheTargets(GITHUB_USER);
  const options = [`--user ${uidOf(GITHUB_USER)}`];
  for (const opt of spec.securityOpt) options.push(`--security-opt ${opt}`);
  for (const device of spec.devices) options.push(`--device ${device}`);
  if (spec.privileged) options.push('--privileged');
  if (spec.usernsMode) options.push(`--userns=${spec.usernsMode}`);
  const env: Record<string, string> = {};
  for (const name of spec.envNames) {
    if (!isRunnerProvided(name)) env[name] = `\${{ ${isSecretName(name) ? 'secrets' : 'vars'}.${name} }}`;
  }
  Object.assign(env, spec.envFixed);
  const run: Record<string, unknown> = { run: ['werf', ...spec.werfArgs].map(shellQuote).join(' ') };
  if (spec.workdir) run['working-directory'] = spec.workdir;
  // The runner sets HOME=/github/home in job containers; werf and buildah must use
  // build1001's home, where the cache volumes are.
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
  job.steps = [{ uses: 'actions/checkout@v4', with: { 'fetch-depth': 0 } }, run];
  return { jobs: { [dnsName(spec.werfArgs[0])]: job } };
}

export function renderGithubActions(spec: ExportSpec): string {
  const doc = new Document(githubActionsObject(spec));
  doc.commentBefore = [
    ...provenance(spec, 'github-actions'),
    'merge into a workflow under .github/workflows/; werf runs as build1001 (uid 1001, the runner\'s workspace owner)',
  ]
    .map((l) => ` ${l}`)
    .join('\n');
  return doc.toString({ lineWidth: 0 });
}
