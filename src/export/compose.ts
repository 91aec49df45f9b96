/**
 * A Compose service (the Compose Specification, as `docker compose` and
 * docker-compose >= 1.27 read it) for a compose file in the project's git root.
 */
import { commentText } from './comment.js';
import { Document } from 'yaml';
import { PROJECT_DIR } from '../plan/contract.js';
import { cacheTargets, dnsName, isProjectRelative, projectSubpath, provenance, werfArgv, type ExportSpec } from './spec.js';

function composeObject(spec: ExportSpec): Record<string, unknown> {
  const t = cacheTargets(spec.user);
  const service: Record<string, unknown> = {
    image: spec.image,
    command: werfArgv(spec),
    user: spec.user,
    working_dir: spec.workdir ? `${PROJECT_DIR}/${spec.workdir}` : PROJECT_DIR,
  };
  if (spec.securityOpt.length > 0) service.security_opt = [...spec.securityOpt];
  if (spec.devices.length > 0) service.devices = [...spec.devices];
  if (spec.privileged) service.privileged = true;
  if (spec.usernsMode) service.userns_mode = spec.usernsMode;
  if (spec.network) service.network_mode = spec.network;
  service.volumes = [
    { type: 'bind', source: '.', target: PROJECT_DIR },
    { type: 'volume', source: 'buildah-storage', target: t.storage },
    { type: 'volume', source: 'werf-home', target: t.werfHome },
    // Relative sources are relative to the compose file, which sits in the project's root.
    ...spec.mounts.map((m) => ({
      type: 'bind',
      source: isProjectRelative(m.source) ? `./${projectSubpath(m.source)}` : m.source,
      target: m.target,
      ...(m.readOnly ? { read_only: true } : {}),
    })),
  ];
  const environment = [...spec.envNames, ...Object.entries(spec.envFixed).map(([k, v]) => `${k}=${v}`)];
  if (environment.length > 0) service.environment = environment;
  return {
    services: { [dnsName(spec.projectName)]: service },
    // Explicit names: the same caches werf-run uses, not project-prefixed copies.
    volumes: {
      'buildah-storage': { name: spec.volumes.storage },
      'werf-home': { name: spec.volumes.werfHome },
    },
  };
}

export function renderCompose(spec: ExportSpec): string {
  const doc = new Document(composeObject(spec));
  doc.commentBefore = [
    ...provenance(spec, 'compose'),
    "save as compose.yaml in the project's git root; run: docker compose run --rm " + dnsName(spec.projectName),
  ]
    .map((l) => ` ${commentText(l)}`)
    .join('\n');
  return doc.toString({ lineWidth: 0 });
}
