/**
 * `docker run` for a shell in the project's git root: the same container
 * werf-run would create, without werf-run's labels, TTY or host env values.
 */
import { shellQuote } from '../plan/docker-command.js';
import { PROJECT_DIR } from '../plan/contract.js';
import { cacheTargets, isProjectRelative, projectSubpath, provenance, type ExportSpec } from './spec.js';

/** The words of the command; the project mount's source is "$PWD" (expanded by the shell). */
export function dockerRunWords(spec: ExportSpec): string[][] {
  const t = cacheTargets(spec.user);
  const lines: string[][] = [['docker', 'run', '--rm']];
  for (const opt of spec.securityOpt) lines.push(['--security-opt', opt]);
  for (const device of spec.devices) lines.push(['--device', device]);
  if (spec.privileged) lines.push(['--privileged']);
  if (spec.usernsMode) lines.push([`--userns=${spec.usernsMode}`]);
  if (spec.network) lines.push(['--network', spec.network]);
  lines.push(['--user', spec.user]);
  lines.push(['--mount', `type=volume,source=${spec.volumes.storage},target=${t.storage}`]);
  lines.push(['--mount', `type=volume,source=${spec.volumes.werfHome},target=${t.werfHome}`]);
  // Host paths as they are; those inside the project are added by the renderer (they need "$PWD").
  for (const m of spec.mounts.filter((mount) => !isProjectRelative(mount.source))) {
    lines.push(['--mount', `type=bind,source=${m.source},target=${m.target}${m.readOnly ? ',readonly' : ''}`]);
  }
  lines.push(['--workdir', spec.workdir ? `${PROJECT_DIR}/${spec.workdir}` : PROJECT_DIR]);
  for (const name of spec.envNames) lines.push(['--env', name]);
  for (const [name, value] of Object.entries(spec.envFixed)) lines.push(['--env', `${name}=${value}`]);
  lines.push([spec.image, 'werf', ...spec.werfArgs]);
  return lines;
}

/** A word for a double-quoted shell string, where $PWD must still expand. */
const inDoubleQuotes = (text: string): string => text.replace(/["$`\\]/g, '\\$&');

/** The command's lines, ready to paste in the project's git root (the project and mounts inside it come from "$PWD"). */
export function dockerRunLines(spec: ExportSpec): string[] {
  const lines = dockerRunWords(spec).map((words) => words.map(shellQuote).join(' '));
  // These mounts need the shell to expand $PWD, so they are quoted by hand.
  const fromPwd = [
    `--mount "type=bind,source=$PWD,target=${PROJECT_DIR}"`,
    ...spec.mounts
      .filter((m) => isProjectRelative(m.source))
      .map((m) => `--mount "type=bind,source=$PWD/${inDoubleQuotes(projectSubpath(m.source))},target=${inDoubleQuotes(m.target)}${m.readOnly ? ',readonly' : ''}"`),
  ];
  lines.splice(lines.findIndex((l) => l.startsWith('--workdir')), 0, ...fromPwd);
  return lines;
}

export function renderDockerRun(spec: ExportSpec): string {
  const header = [
    ...provenance(spec, 'docker-run'),
    "run it in the project's git root; variables listed by name pass from your shell's environment",
  ].map((l) => `# ${l}`);
  return `${header.join('\n')}\n${dockerRunLines(spec).join(' \\\n  ')}\n`;
}
