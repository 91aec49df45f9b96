/**
 * The `docker run` command line for a container: the one builder behind
 * --dry-run (a plan a user can paste) and --export docker-run. Secret values
 * are never written: such a variable is passed by name (`--env GITHUB_TOKEN`),
 * from the environment of the shell that runs the command.
 */
import type { ContainerSpec } from '../engine/port.js';
import { pasteableEnvEntry } from './env.js';

/** POSIX shell quoting: bare when safe, single-quoted otherwise. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `docker run` as groups of words: `docker run --rm`, then one option with its value per group, then the image and command. */
export function dockerRunGroups(spec: ContainerSpec): string[][] {
  const groups: string[][] = [['docker', 'run', '--rm']];
  // Piped stdin (openStdin without a TTY) is how this invocation was called, not part of the setup: the line stays the same.
  if (spec.tty) groups.push(['-it']);
  for (const opt of spec.securityOpt) groups.push(['--security-opt', opt]);
  for (const device of spec.devices) groups.push(['--device', device]);
  if (spec.privileged) groups.push(['--privileged']);
  if (spec.usernsMode) groups.push([`--userns=${spec.usernsMode}`]);
  if (spec.networkMode) groups.push(['--network', spec.networkMode]);
  for (const u of spec.ulimits ?? []) groups.push(['--ulimit', `${u.name}=${u.soft}:${u.hard}`]);
  for (const group of spec.groupAdd ?? []) groups.push(['--group-add', group]);
  if (spec.user) groups.push(['--user', spec.user]);
  for (const m of spec.mounts) {
    const fields = m.type === 'tmpfs' ? [`type=tmpfs`, `target=${m.target}`] : [`type=${m.type}`, `source=${m.source}`, `target=${m.target}`];
    if (m.readOnly) fields.push('readonly');
    groups.push(['--mount', fields.join(',')]);
  }
  if (spec.workingDir) groups.push(['--workdir', spec.workingDir]);
  for (const entry of spec.env) groups.push(['--env', pasteableEnvEntry(entry)]);
  for (const [key, value] of Object.entries(spec.labels)) groups.push(['--label', `${key}=${value}`]);
  groups.push([spec.image, ...spec.cmd]);
  return groups;
}

export function dockerRunCommand(spec: ContainerSpec): string {
  return dockerRunGroups(spec).flat().map(shellQuote).join(' ');
}
