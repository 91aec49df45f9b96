/** One entry for every format: the spec and the options in, the snippet out (pure). */
import { renderCompose } from './compose.js';
import { renderDockerRun } from './docker-run.js';
import { renderGithubActions } from './github-actions.js';
import { renderGitlabCi } from './gitlab-ci.js';
import { renderGitlabRunner } from './gitlab-runner.js';
import { DEFAULT_KUBE_VERSION, type ExportFormat } from './formats.js';
import { renderKubernetes, type KubernetesOptions } from './kubernetes.js';
import type { ExportSpec } from './spec.js';

export type ExportOptions = KubernetesOptions;

export const DEFAULT_EXPORT_OPTIONS: ExportOptions = { kubeVersion: DEFAULT_KUBE_VERSION, cacheVolumes: 'emptyDir' };

export function renderExport(format: ExportFormat, spec: ExportSpec, options: ExportOptions = DEFAULT_EXPORT_OPTIONS): string {
  switch (format) {
    case 'docker-run':
      return renderDockerRun(spec);
    case 'compose':
      return renderCompose(spec);
    case 'gitlab-runner':
      return renderGitlabRunner(spec);
    case 'gitlab-ci':
      return renderGitlabCi(spec);
    case 'github-actions':
      return renderGithubActions(spec);
    case 'kubernetes':
      return renderKubernetes(spec, options);
  }
}
