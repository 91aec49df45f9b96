/**
 * werf-run inside a Pod (a Kubernetes CI runner): with no kubeconfig, werf on
 * the host would use the Pod's ServiceAccount, as client-go's in-cluster
 * config does (kubernetes/client-go rest/config.go InClusterConfig:
 * KUBERNETES_SERVICE_HOST and _PORT, the token and ca.crt in
 * /var/run/secrets/kubernetes.io/serviceaccount). werf in its container has
 * neither the variables nor the files, so it gets the same access as a
 * kubeconfig (token, CA, the Pod's namespace).
 */
import path from 'node:path';
import { readIfExists } from '../files.js';
import { clusterNeed } from '../plan/cluster-commands.js';
import { checkExpiry, jwtExpiry } from '../plan/exec-credential.js';
import type { InjectedFile } from '../plan/files.js';
import { kubeconfigSources, kubeFlags } from '../plan/kubeconfig.js';
import { loopbackHost, type LoopbackTarget } from '../plan/network.js';
import { loadYaml } from './kube-access.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

type Env = Readonly<Record<string, string | undefined>>;

export interface InCluster {
  server: string;
  token: string;
  ca: Buffer | undefined;
  namespace: string | undefined;
}

/** The Pod's ServiceAccount access, as InClusterConfig finds it; undefined outside a Pod. */
export function inClusterAccess(env: Env, dir: string, read: (file: string) => Buffer | undefined = readIfExists): InCluster | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) return undefined;
  const token = read(path.join(dir, 'token'))?.toString('utf8').trim();
  if (!token) return undefined;
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    token,
    ca: read(path.join(dir, 'ca.crt')),
    namespace: read(path.join(dir, 'namespace'))?.toString('utf8').trim() || undefined,
  };
}

/** Whether werf would read a kubeconfig on this host (a flag, base64 data, or a file that exists): then in-cluster is not used. */
function hasKubeconfig(env: Env, hostHome: string, werfArgs: readonly string[], cwd: string): boolean {
  const sources = kubeconfigSources(env, hostHome, kubeFlags(werfArgs), cwd);
  return Boolean(sources.base64) || sources.files.some((f) => readIfExists(f) !== undefined);
}

/** The Pod's access as a kubeconfig: one cluster, the ServiceAccount's token, its namespace. */
function inClusterKubeconfig(access: NonNullable<ReturnType<typeof inClusterAccess>>) {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'in-cluster',
    clusters: [
      {
        name: 'in-cluster',
        cluster: { server: access.server, ...(access.ca ? { 'certificate-authority-data': access.ca.toString('base64') } : {}) },
      },
    ],
    users: [{ name: 'service-account', user: { token: access.token } }],
    contexts: [
      {
        name: 'in-cluster',
        context: { cluster: 'in-cluster', user: 'service-account', ...(access.namespace ? { namespace: access.namespace } : {}) },
      },
    ],
  };
}

/** The in-cluster access as a kubeconfig werf reads at its default path, for commands that use a cluster. */
export async function inClusterForWerf(input: {
  env: Env;
  hostHome: string;
  werfArgs: readonly string[];
  cwd: string;
  home: string;
  serviceAccountDir: string;
  now: Date;
}): Promise<{
  file?: InjectedFile;
  notes: string[];
  warnings: string[];
  /** The API server when it is on the loopback (a Pod on the host network, a test): the werf container needs that network. */
  targets?: LoopbackTarget[];
}> {
  const access = inClusterAccess(input.env, input.serviceAccountDir);
  if (!access) return { notes: [], warnings: [] };
  const need = clusterNeed(input.werfArgs, input.env);
  if (need.use === 'none')
    return {
      notes: [`in-cluster: werf ${need.command} does not talk to a cluster; the Pod's ServiceAccount is not handed in`],
      warnings: [],
    };
  if (hasKubeconfig(input.env, input.hostHome, input.werfArgs, input.cwd))
    return {
      notes: ["in-cluster: a kubeconfig is there, so werf uses it (as client-go does) and not the Pod's ServiceAccount"],
      warnings: [],
    };
  const config = inClusterKubeconfig(access);
  const target = path.posix.join(input.home, '.kube', 'config');
  const from = `the Pod's ServiceAccount token (${path.join(input.serviceAccountDir, 'token')})`;
  const expires = jwtExpiry(access.token);
  const owner = { user: 'service-account', context: 'in-cluster', where: input.serviceAccountDir, dir: undefined };
  const expiry = checkExpiry({ token: access.token, ...(expires ? { expires } : {}), from }, owner, input.now);
  const loopback = loopbackHost(access.server);
  return {
    ...(loopback ? { targets: [{ what: `in-cluster server ${access.server}`, host: loopback }] } : {}),
    // YAML, as the kubeconfig werf-run hands in from a file (host/kube-access.ts).
    file: { path: target, content: Buffer.from((await loadYaml()).stringify(config)), mode: 0o600, secret: true },
    notes: [
      `in-cluster: werf runs in a Pod with no kubeconfig; werf gets the Pod's access to ${access.server}${access.namespace ? ` (namespace ${access.namespace})` : ''} as ${target} (mode 0600); ${expiry.note}`,
    ],
    warnings: expiry.warning
      ? [
          `${expiry.warning.replace(/^the cluster credential of the kubeconfig user "service-account" \(context "in-cluster"\) in \S+/, "the Pod's ServiceAccount token")} (the kubelet renews the file here, not werf's copy)`,
        ]
      : [],
  };
}
