/**
 * `docker run` for a shell in the project's git root: the same container
 * werf-run would create, without werf-run's labels, TTY or host env values
 * (variables go by name, from the shell). Built by the same builder as
 * --dry-run's command (plan/docker-command.ts).
 */
import type { ContainerSpec } from '../engine/port.js';
import { dockerRunGroups, shellQuote } from '../plan/docker-command.js';
import { PROJECT_DIR } from '../plan/contract.js';
import { cacheTargets, provenance, type ExportSpec } from './spec.js';

/** The project mount's source: expanded by the shell, so its word is quoted by hand. */
const PWD = '$PWD';

/** The container of an ExportSpec, for the docker run builder. */
function exportedContainer(spec: ExportSpec): ContainerSpec {
  const t = cacheTargets(spec.user);
  return {
    image: spec.image,
    cmd: ['werf', ...spec.werfArgs],
    // `--env NAME` passes the shell's value.
    env: [...spec.envNames, ...Object.entries(spec.envFixed).map(([name, value]) => `${name}=${value}`)],
    user: spec.user,
    workingDir: spec.workdir ? `${PROJECT_DIR}/${spec.workdir}` : PROJECT_DIR,
    labels: {},
    tty: false,
    openStdin: false,
    mounts: [
      { type: 'volume', source: spec.volumes.storage, target: t.storage, readOnly: false },
      { type: 'volume', source: spec.volumes.werfHome, target: t.werfHome, readOnly: false },
      { type: 'bind', source: PWD, target: PROJECT_DIR, readOnly: false },
    ],
    securityOpt: spec.securityOpt,
    devices: spec.devices,
    privileged: spec.privileged,
    ...(spec.usernsMode ? { usernsMode: spec.usernsMode } : {}),
    ...(spec.network ? { networkMode: spec.network } : {}),
  };
}

export function renderDockerRun(spec: ExportSpec): string {
  const projectMount = `type=bind,source=${PWD},target=${PROJECT_DIR}`;
  const lines = dockerRunGroups(exportedContainer(spec)).map((words) =>
    words.map((word) => (word === projectMount ? `"${word}"` : shellQuote(word))).join(' '),
  );
  const header = [
    ...provenance(spec, 'docker-run'),
    "run it in the project's git root; variables listed by name pass from your shell's environment",
  ].map((l) => `# ${l}`);
  return `${header.join('\n')}\n${lines.join(' \\\n  ')}\n`;
}
