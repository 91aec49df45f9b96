/**
 * The `docker run` command line for a container: the one builder behind
 * --dry-run (a plan a user can paste) and --export docker-run. Secret values
 * are never written: such a variable is passed by name (`--env GITHUB_TOKEN`),
 * from the environment of the shell that runs the command.
 */
import type { ContainerSpec } from '../engine/port.js';
import { pasteableEnvEntry } from './env.js';
import { redactWerfArgs } from '../config/secrets.js';

/**
 * POSIX shell quoting: bare when safe, single-quoted otherwise. Inside single
 * quotes nothing is special, a newline included: it cannot end the word or
 * start a command (docker-command.test.ts reads each back through sh).
 */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * One field of a `--mount` value: docker reads the value as a CSV record
 * (docker/cli opts/mount.go:30, encoding/csv), so a field with a comma, a
 * quote or a line break is quoted the CSV way.
 */
export function csvField(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
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
    const fields =
      m.type === 'tmpfs' ? [`type=tmpfs`, `target=${m.target}`] : [`type=${m.type}`, `source=${m.source}`, `target=${m.target}`];
    if (m.readOnly) fields.push('readonly');
    groups.push(['--mount', fields.map(csvField).join(',')]);
  }
  if (spec.workingDir) groups.push(['--workdir', spec.workingDir]);
  for (const entry of spec.env) groups.push(['--env', pasteableEnvEntry(entry)]);
  for (const [key, value] of Object.entries(spec.labels)) groups.push(['--label', `${key}=${value}`]);
  // werf's --set values under secret-looking keys are masked: printed, never pasted with the secret.
  groups.push([spec.image, ...redactWerfArgs(spec.cmd)]);
  return groups;
}

export function dockerRunCommand(spec: ContainerSpec): string {
  return dockerRunGroups(spec).flat().map(shellQuote).join(' ');
}
