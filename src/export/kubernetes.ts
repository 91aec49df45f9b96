/**
 * A Pod that runs werf with the container settings of the chosen mode, in the
 * form the target cluster version accepts:
 *  - seccomp: the `seccompProfile` field (1.19+), else the alpha annotation;
 *  - AppArmor: the `appArmorProfile` field (1.30+), else the beta annotation
 *    `container.apparmor.security.beta.kubernetes.io/<container>`;
 *  - fuse: /dev/fuse through a device plugin's resource, never hostPath + privileged.
 */
import { commentText } from './comment.js';
import { Document, isMap, isScalar, type Node } from 'yaml';
import { UsageError } from '../errors.js';
import { PROJECT_DIR } from '../plan/contract.js';
import { FUSE_DEVICE } from '../plan/security.js';
import { DEFAULT_KUBE_VERSION, type KubeCacheKind } from './formats.js';
import {
  cacheTargets,
  dnsName,
  isProjectRelative,
  isRunnerProvided,
  projectSubpath,
  provenance,
  uidOf,
  werfArgv,
  type ExportSpec,
} from './spec.js';

export interface KubernetesOptions {
  /** Target cluster version, "1.29" or "v1.29.3". */
  kubeVersion: string;
  cacheVolumes: KubeCacheKind;
}

const CONTAINER_NAME = 'werf';
/** Advertised by kuberenetes-learning-group/fuse-device-plugin (sic) and its forks. */
const FUSE_RESOURCE = 'github.com/fuse';
export const FUSE_PLUGIN = 'https://github.com/kuberenetes-learning-group/fuse-device-plugin';

export function parseKubeVersion(value: string): { major: number; minor: number } {
  const match = /^v?(\d+)\.(\d+)(?:\.\d+)?$/.exec(value.trim());
  if (!match) {
    throw new UsageError(
      `--kube-version is "${value}"; expected a Kubernetes version like 1.30`,
      `e.g. --kube-version ${DEFAULT_KUBE_VERSION}`,
    );
  }
  return { major: Number(match[1]), minor: Number(match[2]) };
}

const atLeast = (v: { major: number; minor: number }, minor: number): boolean => v.major > 1 || (v.major === 1 && v.minor >= minor);

/** The container's securityContext, and the annotations that say the same to a cluster older than the field. */
function podSecurity(spec: ExportSpec, version: { major: number; minor: number }) {
  const annotations: Record<string, string> = {};
  const securityContext: Record<string, unknown> = {};
  if (spec.securityOpt.includes('seccomp=unconfined')) {
    if (atLeast(version, 19)) securityContext.seccompProfile = { type: 'Unconfined' };
    else annotations[`container.seccomp.security.alpha.kubernetes.io/${CONTAINER_NAME}`] = 'unconfined';
  }
  if (spec.securityOpt.includes('apparmor=unconfined')) {
    if (atLeast(version, 30)) securityContext.appArmorProfile = { type: 'Unconfined' };
    else annotations[`container.apparmor.security.beta.kubernetes.io/${CONTAINER_NAME}`] = 'unconfined';
  }
  if (spec.securityOpt.includes('label=disable')) securityContext.seLinuxOptions = { type: 'spc_t' };
  // newuidmap/newgidmap carry file capabilities: no_new_privs would void them.
  securityContext.allowPrivilegeEscalation = true;
  if (spec.privileged) securityContext.privileged = true;
  return { annotations, securityContext };
}

function kubernetesObject(spec: ExportSpec, options: KubernetesOptions): Record<string, unknown> {
  const version = parseKubeVersion(options.kubeVersion);
  const t = cacheTargets(spec.user);
  const uid = uidOf(spec.user);
  if (uid === undefined) {
    throw new UsageError(
      `user "${spec.user}" has no known uid, and a Pod's runAsUser needs a number`,
      'set user to a uid (e.g. "1000"), or to build, build1001 or root',
    );
  }
  const { annotations, securityContext } = podSecurity(spec, version);

  const container: Record<string, unknown> = {
    name: CONTAINER_NAME,
    image: spec.image,
    command: werfArgv(spec),
    workingDir: spec.workdir ? `${PROJECT_DIR}/${spec.workdir}` : PROJECT_DIR,
    securityContext,
  };
  const env = Object.entries(spec.envFixed).map(([name, value]) => ({ name, value }));
  if (env.length > 0) container.env = env;
  if (spec.devices.includes(FUSE_DEVICE)) container.resources = { limits: { [FUSE_RESOURCE]: 1 } };
  const hostMounts = spec.mounts.filter((m) => !isProjectRelative(m.source));
  container.volumeMounts = [
    { name: 'project', mountPath: PROJECT_DIR },
    { name: 'buildah-storage', mountPath: t.storage },
    { name: 'werf-home', mountPath: t.werfHome },
    // Inside the project: a subPath of the project volume; host paths: hostPath volumes.
    ...spec.mounts.map((m) => ({
      name: isProjectRelative(m.source) ? 'project' : `mount-${hostMounts.indexOf(m)}`,
      mountPath: m.target,
      ...(isProjectRelative(m.source) ? { subPath: projectSubpath(m.source) } : {}),
      ...(m.readOnly ? { readOnly: true } : {}),
    })),
  ];
  const cache = (name: string, claim: string) =>
    options.cacheVolumes === 'pvc' ? { name, persistentVolumeClaim: { claimName: claim } } : { name, emptyDir: {} };
  const metadata: Record<string, unknown> = { name: dnsName(spec.projectName) };
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: {
      restartPolicy: 'Never',
      // network: host in werf-run is the node's network here (and cluster DNS still resolves).
      ...(spec.network === 'host' ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
      securityContext: { runAsUser: uid, runAsGroup: uid, fsGroup: uid },
      containers: [container],
      volumes: [
        { name: 'project', emptyDir: {} },
        cache('buildah-storage', spec.volumes.storage),
        cache('werf-home', spec.volumes.werfHome),
        ...hostMounts.map((m, i) => ({ name: `mount-${i}`, hostPath: { path: m.source } })),
      ],
    },
  };
}

function pairKey(node: unknown, key: string): Node | undefined {
  if (!isMap(node)) return undefined;
  const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
  return pair?.key as Node | undefined;
}

export function renderKubernetes(spec: ExportSpec, options: KubernetesOptions): string {
  const doc = new Document(kubernetesObject(spec, options));
  const version = parseKubeVersion(options.kubeVersion);
  doc.commentBefore = [
    ...provenance(spec, 'kubernetes'),
    `for Kubernetes ${version.major}.${version.minor}${atLeast(version, 30) ? '+' : ' (AppArmor by annotation, as before 1.30)'}; other versions: --kube-version`,
    ...(spec.network && spec.network !== 'host'
      ? [`network "${spec.network}" has no Pod equivalent: the Pod uses the cluster's network`]
      : []),
  ]
    .map((l) => ` ${commentText(l)}`)
    .join('\n');
  const podSpec = doc.get('spec', true);
  const containers = isMap(podSpec) ? podSpec.get('containers', true) : undefined;
  const container = containers && 'items' in containers ? (containers as { items: unknown[] }).items[0] : undefined;
  const resources = pairKey(container, 'resources');
  if (resources) {
    resources.commentBefore = ` fuse mode: /dev/fuse comes from a device plugin that advertises ${FUSE_RESOURCE};\n install it on the nodes first: ${FUSE_PLUGIN}`;
  }
  const volumes = pairKey(podSpec, 'volumes');
  if (volumes) {
    const lines = [' "project" must hold the checkout: fill it (e.g. an initContainer running git clone) or use your CI\'s own'];
    if (options.cacheVolumes === 'pvc') lines.push(' the cache PVCs must exist; ReadWriteOnce allows one build at a time per claim');
    else lines.push(' emptyDir caches live as long as the Pod: use --kube-volumes pvc to keep them between builds');
    volumes.commentBefore = lines.join('\n');
  }
  const names = spec.envNames.filter((name) => !isRunnerProvided(name));
  if (names.length > 0) {
    const cmd = pairKey(container, 'command');
    if (cmd) cmd.commentBefore = ` werf-run passes these from the host; set them here from Secrets or ConfigMaps: ${names.join(', ')}`;
  }
  return doc.toString({ lineWidth: 0 });
}
