/**
 * The `docker run` command line equivalent to a plan, for --dry-run and for
 * users who want to see or paste what werf-run does. Secrets are redacted.
 */
import type { ContainerSpec } from '../engine/port.js';
import { redactEnvEntry } from './env.js';

/** POSIX shell quoting: bare when safe, single-quoted otherwise. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function dockerRunArgs(spec: ContainerSpec): string[] {
  const args = ['docker', 'run', '--rm'];
  if (spec.tty) args.push('-it');
  for (const opt of spec.securityOpt) args.push('--security-opt', opt);
  for (const device of spec.devices) args.push('--device', device);
  if (spec.privileged) args.push('--privileged');
  if (spec.usernsMode) args.push(`--userns=${spec.usernsMode}`);
  if (spec.networkMode) args.push('--network', spec.networkMode);
  for (const u of spec.ulimits ?? []) args.push('--ulimit', `${u.name}=${u.soft}:${u.hard}`);
  for (const group of spec.groupAdd ?? []) args.push('--group-add', group);
  if (spec.user) args.push('--user', spec.user);
  for (const m of spec.mounts) {
    const fields = m.type === 'tmpfs' ? [`type=tmpfs`, `target=${m.target}`] : [`type=${m.type}`, `source=${m.source}`, `target=${m.target}`];
    if (m.readOnly) fields.push('readonly');
    args.push('--mount', fields.join(','));
  }
  if (spec.workingDir) args.push('--workdir', spec.workingDir);
  for (const entry of spec.env) args.push('--env', redactEnvEntry(entry));
  for (const [key, value] of Object.entries(spec.labels)) args.push('--label', `${key}=${value}`);
  args.push(spec.image, ...spec.cmd);
  return args;
}

export function dockerRunCommand(spec: ContainerSpec): string {
  return dockerRunArgs(spec).map(shellQuote).join(' ');
}
