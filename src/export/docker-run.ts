/**
 * `docker run` for a shell in the project's git root: the same container
 * werf-run would create, without werf-run's labels, TTY or host env values.
 */
import { shellQuote } from '../plan/docker-command.js';
import { PROJECT_DIR } from '../plan/contract.js';
import { cacheTargets, provenance, type ExportSpec } from './spec.js';

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
  lines.push(['--workdir', spec.workdir ? `${PROJECT_DIR}/${spec.workdir}` : PROJECT_DIR]);
  for (const name of spec.envNames) lines.push(['--env', name]);
  for (const [name, value] of Object.entries(spec.envFixed)) lines.push(['--env', `${name}=${value}`]);
  lines.push([spec.image, 'werf', ...spec.werfArgs]);
  return lines;
}

export function renderDockerRun(spec: ExportSpec): string {
  const lines = dockerRunWords(spec).map((words) => words.map(shellQuote).join(' '));
  // The project mount needs the shell to expand $PWD, so it is quoted by hand.
  const projectMount = `--mount "type=bind,source=$PWD,target=${PROJECT_DIR}"`;
  lines.splice(lines.findIndex((l) => l.startsWith('--workdir')), 0, projectMount);
  const header = [
    ...provenance(spec, 'docker-run'),
    "run it in the project's git root; variables listed by name pass from your shell's environment",
  ].map((l) => `# ${l}`);
  return `${header.join('\n')}\n${lines.join(' \\\n  ')}\n`;
}
