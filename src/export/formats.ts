/**
 * The names --export takes, apart from the exports themselves, so parsing the
 * command line loads no export code (and no YAML library).
 */
export const EXPORT_FORMATS = ['docker-run', 'compose', 'gitlab-runner', 'gitlab-ci', 'github-actions', 'kubernetes'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const DEFAULT_KUBE_VERSION = '1.30';
export const KUBE_CACHE_KINDS = ['emptyDir', 'pvc'] as const;
export type KubeCacheKind = (typeof KUBE_CACHE_KINDS)[number];
