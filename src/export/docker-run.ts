/**
 * `docker run` for a shell in the project's git root: the same container
 * werf-run would create, without werf-run's labels, TTY or host env values
 * (variables go by name, from the shell). Built by the same builder as
 * --dry-run's command (plan/docker-command.ts).
 */
import type { ContainerSpec } from '../engine/port.js';
import { dockerRunGroups, shellQuote } from '../plan/docker-command.js';
import { PROJECT_DIR } from '../plan/contract.js';
import { cacheTargets, isProjectRelative, projectSubpath, provenance, werfArgv, type ExportSpec } from './spec.js';

/** The project mount's source: expanded by the shell, so its word is quoted by hand. */
const PWD = '$PWD';

/** The container of an ExportSpec, for the docker run builder. */
function exportedContainer(spec: ExportSpec): ContainerSpec {
  const t = cacheTargets(spec.user);
  return {
    image: spec.image,
    cmd: werfArgv(spec),
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
      // config mounts: host paths as they are, those inside the project from "$PWD" too.
      ...spec.mounts.map((m) => ({
        type: 'bind' as const,
        source: isProjectRelative(m.source) ? `${PWD}/${projectSubpath(m.source)}` : m.source,
        target: m.target,
        readOnly: m.readOnly,
      })),
    ],
    securityOpt: spec.securityOpt,
    devices: spec.devices,
    privileged: spec.privileged,
    ...(spec.usernsMode ? { usernsMode: spec.usernsMode } : {}),
    ...(spec.network ? { networkMode: spec.network } : {}),
  };
}

/** A mount word whose source starts with "$PWD": double-quoted so the shell expands $PWD and nothing else. */
function pwdWord(word: string): string | undefined {
  const at = word.indexOf(`source=${PWD}`);
  if (!word.startsWith('type=bind,') || at < 0) return undefined;
  const rest = word.slice(at + `source=${PWD}`.length).replace(/["$`\\]/g, '\\$&');
  return `"${word.slice(0, at)}source=${PWD}${rest}"`;
}

/** The command's lines, to paste in the project's git root (the project, and mounts inside it, come from "$PWD"). */
export function dockerRunLines(spec: ExportSpec): string[] {
  return dockerRunGroups(exportedContainer(spec)).map((words) => words.map((word) => pwdWord(word) ?? shellQuote(word)).join(' '));
}

export function renderDockerRun(spec: ExportSpec): string {
  const header = [
    ...provenance(spec, 'docker-run'),
    "run it in the project's git root; variables listed by name pass from your shell's environment",
  ].map((l) => `# ${l}`);
  return `${header.join('\n')}\n${dockerRunLines(spec).join(' \\\n  ')}\n`;
}
