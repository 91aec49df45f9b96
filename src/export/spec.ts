/**
 * What every export renders from: the chosen setup, taken from a RunPlan and
 * made independent of the machine werf-run runs on. No host env values (only
 * names), no werf-run labels, no TTY, no host paths for the project (each
 * format has its own way to bring the checkout in). Pure.
 */
import path from 'node:path';
import type { Config, Mode } from '../config/schema.js';
import { plan, type PlanInput, type RunPlan } from '../plan/plan.js';
import { imageUser, storageDir, werfHomeDir, type ImageUser } from '../plan/contract.js';
import { CI_ENV_INPUTS, ciEnvCommand, type CiSystem } from '../plan/ci-env.js';
import { shellQuote } from '../plan/docker-command.js';
import { CI_JOB_VARS, globToRegExp } from '../plan/env.js';
import { isSecretEntry } from '../config/secrets.js';
import type { ExportFormat } from './formats.js';

export interface ExportSpec {
  mode: Mode;
  image: string;
  /** werf's command and arguments (without the leading `werf`). */
  werfArgs: string[];
  /** The image user werf runs as (build, uid 1000, unless config.user says otherwise). */
  user: string;
  /** config.user was set: formats with a user of their own (GitHub's build1001) must keep it. */
  userSet: boolean;
  /** Docker security options (`seccomp=unconfined`, `apparmor=unconfined`, `label=disable`). */
  securityOpt: string[];
  devices: string[];
  privileged: boolean;
  usernsMode?: string;
  network?: string;
  /** Cache volume names; each format mounts them at the image user's home. */
  volumes: { storage: string; werfHome: string };
  /** config.mounts as written: an absolute source is a path on the host, a relative one is inside the project. */
  mounts: { source: string; target: string; readOnly: boolean }[];
  /** Where werf runs, relative to the project root ('' = the root). */
  workdir: string;
  /** Variables to pass through from the runner's environment, by name only. */
  envNames: string[];
  /** Fixed values from config env.set, except secret-looking names (those are in envNames). */
  envFixed: Record<string, string>;
  /** From werf.yaml's `project:`, for names of jobs, services and pods. */
  projectName?: string;
  /** The CI whose `werf ci-env --as-file` is sourced before werf (repo, registry login), as in a run. */
  ciEnv?: CiSystem;
}

interface ToExportSpecInput {
  plan: RunPlan;
  config: Pick<Config, 'env' | 'volumes' | 'user' | 'network' | 'mounts'>;
  werfArgs: readonly string[];
  projectName?: string;
  ciEnv?: CiSystem;
}

export function toExportSpec(input: ToExportSpecInput): ExportSpec {
  const { container } = input.plan;
  // Values from config env.set are the project's own (committed) settings and are
  // kept, except secrets (by name, or a password inside a URL): those, like every
  // host variable, go by name only.
  const fixed: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.config.env.set)) if (!isSecretEntry(name, value)) fixed[name] = value;
  const envNames = container.env
    .map((entry) => entry.slice(0, entry.indexOf('=') < 0 ? entry.length : entry.indexOf('=')))
    // werf-run's own settings are not werf's.
    .filter((name) => !name.startsWith('WERF_RUN_') && !(name in fixed));
  // Relative to the project's root: the export mounts it at its own PROJECT_DIR.
  const workdir = container.workingDir ? path.posix.relative(input.plan.projectDir, container.workingDir) : '';
  return {
    mode: input.plan.mode,
    image: input.plan.image,
    werfArgs: [...input.werfArgs],
    user: imageUser(input.config.user).user,
    userSet: input.config.user !== undefined,
    securityOpt: [...container.securityOpt],
    devices: [...container.devices],
    privileged: container.privileged,
    ...(container.usernsMode ? { usernsMode: container.usernsMode } : {}),
    // config.network, or host where werf talks to a loopback registry (the plan's network decision).
    ...(container.networkMode ? { network: container.networkMode } : {}),
    volumes: { storage: input.config.volumes.storage, werfHome: input.config.volumes.werfHome },
    mounts: input.config.mounts.map((m) => ({ source: m.source, target: m.target, readOnly: m.readOnly })),
    workdir,
    // ci-env reads the job's variables: a container of the snippet's own needs them passed in.
    envNames: [...new Set([...envNames, ...(input.ciEnv ? CI_ENV_INPUTS[input.ciEnv] : [])])].sort(),
    envFixed: fixed,
    ...(input.projectName ? { projectName: input.projectName } : {}),
    ...(input.ciEnv ? { ciEnv: input.ciEnv } : {}),
  };
}

/** werf's command as a container's argv: with ci-env, one shell that sources it first (plan/ci-env.ts, as a run does). */
export function werfArgv(spec: Pick<ExportSpec, 'werfArgs' | 'ciEnv'>): string[] {
  return spec.ciEnv ? ciEnvCommand(spec.ciEnv, spec.werfArgs) : ['werf', ...spec.werfArgs];
}

/** werf's command as lines of a CI job's script: ci-env's file sourced first (werf's documented CI setup), then werf. */
export function werfScriptLines(spec: Pick<ExportSpec, 'werfArgs' | 'ciEnv'>): string[] {
  const werf = ['werf', ...spec.werfArgs].map(shellQuote).join(' ');
  return spec.ciEnv ? [`. "$(werf ci-env ${spec.ciEnv} --as-file)"`, werf] : [werf];
}

/** The ExportSpec of a mode: the plan a run would make (without a TTY), made independent of this machine. */
export function exportSpecFor({
  projectName,
  exportCiEnv,
  ...input
}: Omit<PlanInput, 'tty' | 'ciEnv'> & { projectName?: string; exportCiEnv?: CiSystem }): ExportSpec {
  return toExportSpec({
    plan: plan({ ...input, tty: false }),
    config: input.config,
    werfArgs: input.werfArgs,
    ...(projectName ? { projectName } : {}),
    ...(exportCiEnv ? { ciEnv: exportCiEnv } : {}),
  });
}

/** The user, home and cache mount points in the image for a spec (or a user a format imposes). */
export function cacheTargets(user: string): ImageUser & { storage: string; werfHome: string } {
  const who = imageUser(user);
  return { ...who, storage: storageDir(who.home, who.uid), werfHome: werfHomeDir(who.home) };
}

const CI_JOB_MATCHERS = CI_JOB_VARS.map(globToRegExp);

/** Variables a CI system sets in every job by itself (werf-run passes them by default). */
export function isRunnerProvided(name: string): boolean {
  // GitHub does not put GITHUB_TOKEN into a job's environment: a workflow passes it from secrets.
  return name !== 'GITHUB_TOKEN' && CI_JOB_MATCHERS.some((m) => m.test(name));
}

/** A mount source relative to the project (kept relative: each format brings the project in its own way). */
export function isProjectRelative(source: string): boolean {
  return !source.startsWith('/');
}

/** A relative source without "./" and trailing "/", e.g. "ci/keys". */
export function projectSubpath(source: string): string {
  return source.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

/**
 * The settings of the werf container that live in the GitLab Runner's
 * [runners.docker] section, as its config.toml lines (shared by the runner
 * export and the job export's header, so the two never disagree).
 */
export function runnerDockerSettings(spec: ExportSpec): Record<string, unknown> {
  const t = cacheTargets(spec.user);
  const docker: Record<string, unknown> = {};
  // GitLab's docs write security options with a colon ("seccomp:unconfined"); Docker reads both.
  if (spec.securityOpt.length > 0) docker.security_opt = spec.securityOpt.map((opt) => opt.replace('=', ':'));
  if (spec.devices.length > 0) docker.devices = [...spec.devices];
  docker.privileged = spec.privileged;
  if (spec.usernsMode) docker.userns_mode = spec.usernsMode;
  if (spec.network) docker.network_mode = spec.network;
  if (spec.userSet) docker.user = spec.user;
  docker.volumes = [
    `${spec.volumes.storage}:${t.storage}`,
    `${spec.volumes.werfHome}:${t.werfHome}`,
    ...spec.mounts.filter((m) => !isProjectRelative(m.source)).map((m) => `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`),
  ];
  return docker;
}

/** Mounts inside the project that a runner volume cannot name (the checkout is the job's), as comment lines. */
export function projectMountNotes(spec: ExportSpec, where: string): string[] {
  return spec.mounts
    .filter((m) => isProjectRelative(m.source))
    .map((m) => `mount ${projectSubpath(m.source)} -> ${m.target}${m.readOnly ? ' (read-only)' : ''} is inside the project: ${where}`);
}

/** Numeric uid of the image contract's users (Kubernetes and GitHub want numbers). */
export function uidOf(user: string): number | undefined {
  return imageUser(user).uid;
}

/** A name usable as a job, service, container or pod name (DNS label). */
export function dnsName(base: string | undefined, fallback = 'werf'): string {
  const cleaned = (base ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50);
  return cleaned ? `werf-${cleaned}` : fallback;
}

/** The header every snippet starts with: how it was made, and from which mode. */
export function provenance(spec: ExportSpec, format: ExportFormat): string[] {
  return [
    `generated by werf-run --export ${format} (mode ${spec.mode}); werf-run is not needed to use it`,
    ...(spec.mode === 'privileged' ? ['privileged mode: the container gets full access to the host; use only where allowed'] : []),
  ];
}
