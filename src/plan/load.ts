/**
 * `--load` (pure): which werf runs it applies to, the build report werf is
 * asked for, the final images read from that report, which of them the
 * engine needs, and the short helper container that streams one out of
 * buildah's storage. run/load.ts does the I/O.
 *
 * From werf/werf (73d8d4a):
 * - cmd/werf/common/common.go:177-220: `--save-build-report` (default
 *   $WERF_SAVE_BUILD_REPORT) saves the report; `--build-report-path` (default
 *   $WERF_BUILD_REPORT_PATH, else .werf-build-report.json) picks its path and
 *   format: .json, .env, or no extension (= path + .json).
 * - pkg/build/build_report.go:43-58 (ReportImageRecord) and :242-273
 *   (createBuildReport): `Images` by werf image name, each with DockerRepo,
 *   DockerTag, DockerImageName, DockerImageID and Final.
 * - Without --repo the stages storage is the local one
 *   (pkg/storage/local_stages_storage.go:21,212-216): the final image is
 *   `<project>:<digest>-<creation ms>` in buildah's storage; with --repo the
 *   images are in that registry already, so there is nothing to load.
 */
import type { ContainerSpec } from '../engine/port.js';
import { ExitCode, UsageError, WerfRunError } from '../errors.js';
import { flagValue, truthy } from './werf-args.js';

/** The werf commands that build images werf-run can load (converge builds first). */
const LOAD_COMMANDS = ['build', 'converge'] as const;

/** `--flag`, `--flag=true|false` (cobra's bool flag), else the environment default. */
function boolOption(args: readonly string[], name: string, envDefault: boolean): boolean {
  let value = envDefault;
  for (const arg of args) {
    if (arg === '--') break;
    if (arg === name) value = true;
    else if (arg.startsWith(`${name}=`)) value = truthy(arg.slice(name.length + 1));
  }
  return value;
}

/**
 * werf ci-env (ciEnv, auto in GitLab CI and GitHub Actions) exports WERF_REPO
 * (cmd/werf/ci_env/ci_env.go: the CI registry), so werf would push there and
 * --load would find nothing local: said before werf runs.
 */
export function loadWithCiEnv(ci: string | undefined): UsageError | undefined {
  if (!ci) return undefined;
  return new UsageError(
    `--load with werf ci-env ${ci} (ciEnv): werf ci-env sets WERF_REPO, so werf pushes the images to the CI registry instead of keeping them in buildah's storage`,
    '--ci-env off (or WERF_RUN_CI_ENV=off) to build locally and load, or drop --load and docker pull from the registry',
  );
}

/** Where werf writes the report --load reads: werf-run's own file in the werf home volume, or the one the user asked for. */
export type ReportSource = { kind: 'own'; path: string } | { kind: 'user'; path: string };

export interface LoadRequest {
  /** werf's arguments, with the report options added when the user asked for no report. */
  werfArgs: string[];
  report: ReportSource;
}

/**
 * Whether --load can apply to this werf command, and the report werf is asked
 * for. `env` is what werf sees (the host's WERF_* variables and env.set).
 * `ownPath` is a fresh path in the werf home volume (in werf's container).
 * A command that builds nothing, or images going to a registry (--repo),
 * is a usage error: there is nothing to load.
 */
export function loadRequest(werfArgs: readonly string[], env: Readonly<Record<string, string | undefined>>, ownPath: string): LoadRequest {
  const command = werfArgs[0] ?? '';
  if (!(LOAD_COMMANDS as readonly string[]).includes(command))
    throw new UsageError(
      `--load applies to werf build and werf converge, not werf ${command}`,
      `drop --load (or WERF_RUN_LOAD / "load" in the config), or run werf-run --load build`,
    );
  const repoFlag = flagValue(werfArgs, ['--repo']);
  const repo = repoFlag ?? env.WERF_REPO;
  if (repo) {
    // Named where the user set it: a CI often sets only the variable.
    const where = repoFlag === undefined ? ' (from WERF_REPO)' : '';
    throw new UsageError(
      `--load with --repo ${repo}${where}: werf pushes the images to that registry, there is nothing in buildah's storage to load`,
      `pull them from the registry (docker pull ${repo}:<tag>), or ${repoFlag === undefined ? 'unset WERF_REPO' : 'drop --repo'} to build locally and load`,
    );
  }
  const userSaves = boolOption(werfArgs, '--save-build-report', truthy(env.WERF_SAVE_BUILD_REPORT));
  if (!userSaves) {
    // werf-run's own report: its path replaces any --build-report-path that would not save anyway.
    return { werfArgs: withOwnReport(werfArgs, ownPath), report: { kind: 'own', path: ownPath } };
  }
  const askedFlag = flagValue(werfArgs, ['--build-report-path']);
  const asked = askedFlag ?? env.WERF_BUILD_REPORT_PATH ?? '';
  const reportPath = asked === '' ? '.werf-build-report.json' : /\.[^/.]*$/.test(asked) ? asked : `${asked}.json`;
  if (!reportPath.endsWith('.json'))
    throw new UsageError(
      `--load reads werf's JSON build report, but --build-report-path ${asked}${askedFlag === undefined ? ' (from WERF_BUILD_REPORT_PATH)' : ''} asks werf for another format`,
      'give --build-report-path a .json path, or drop --save-build-report and --build-report-path (werf-run then uses its own report)',
    );
  return { werfArgs: [...werfArgs], report: { kind: 'user', path: reportPath } };
}

/** werf's arguments with werf-run's own report asked for: before a `--` (after it werf would read them as image names). */
export function withOwnReport(werfArgs: readonly string[], ownPath: string): string[] {
  const own = ['--save-build-report', `--build-report-path=${ownPath}`];
  const end = werfArgs.indexOf('--');
  return end < 0 ? [...werfArgs, ...own] : [...werfArgs.slice(0, end), ...own, ...werfArgs.slice(end)];
}

/** One final image of werf's report, to load. */
export interface LoadImage {
  /** werf's image name (werf.yaml `image:`). */
  werfName: string;
  /** `<project>:<digest>-<creation ms>`: the name in buildah's storage and in the engine. */
  name: string;
  /** sha256:<hex>, the image ID. */
  id: string;
  /** A friendlier second name, `<project>/<image>:latest`, when both parts make a valid reference. */
  alias?: string;
}

/** A Docker reference path component: lower-case alphanumerics separated by ., _, __ or -. */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** `<project>/<image>:latest` for `docker run`, or undefined when either part is not a plain reference component. */
export function aliasFor(repository: string, werfName: string): string | undefined {
  return COMPONENT.test(repository) && COMPONENT.test(werfName) ? `${repository}/${werfName}:latest` : undefined;
}

/** The report could not be used: exit code loadFailed, with what to do. */
export function reportError(where: string, why: string): WerfRunError {
  return new WerfRunError(`--load: werf's build report ${where} ${why}`, {
    exitCode: ExitCode.loadFailed,
    remedy:
      'run werf-run -v --load build to see werf write it; with your own --save-build-report, keep it a .json path in the project (or drop it: werf-run then uses its own)',
  });
}

/** The final images of a build report's JSON text (build_report.go ImagesReport), in name order. */
export function finalImages(text: string, where: string): LoadImage[] {
  let report: unknown;
  try {
    report = JSON.parse(text);
  } catch (error) {
    throw reportError(where, `is not JSON (${(error as Error).message})`);
  }
  const images = (report as { Images?: unknown } | null)?.Images;
  if (typeof images !== 'object' || images === null) throw reportError(where, 'has no Images');
  const out: LoadImage[] = [];
  for (const [key, raw] of Object.entries(images as Record<string, Record<string, unknown>>).sort(([a], [b]) => a.localeCompare(b))) {
    if (raw.Final === false) continue;
    const name = typeof raw.DockerImageName === 'string' ? raw.DockerImageName : '';
    const id = typeof raw.DockerImageID === 'string' ? raw.DockerImageID : '';
    if (!name || !/^sha256:[0-9a-f]{64}$/.test(id))
      throw reportError(where, `names image ${key} without a DockerImageName and a sha256 DockerImageID (got "${name}", "${id}")`);
    const repository = typeof raw.DockerRepo === 'string' ? raw.DockerRepo : name.replace(/:[^:/]*$/, '');
    const werfName = typeof raw.WerfImageName === 'string' && raw.WerfImageName ? raw.WerfImageName : key;
    const alias = aliasFor(repository, werfName);
    out.push({ werfName, name, id, ...(alias ? { alias } : {}) });
  }
  return out;
}

export type LoadStep = { image: LoadImage; action: 'load' } | { image: LoadImage; action: 'present' };

/** An image whose ID the engine has already is only tagged, not streamed again. */
export function loadSteps(images: readonly LoadImage[], engineHas: (id: string) => boolean): LoadStep[] {
  return images.map((image) => ({ image, action: engineHas(image.id) ? 'present' : 'load' }));
}

/**
 * The helper's shell script. $1: `report` (print the file $2, then remove it)
 * or `push` (stream image ID $2 as a docker-archive named $3 to stdout).
 * buildah's storage driver is werf's (WERF_BUILDAH_STORAGE_DRIVER: vfs, else
 * overlay; a user storage.conf decides when present, as werf's storage does).
 * Messages go to stderr; stdout carries only the archive.
 */
export const LOAD_HELPER_SCRIPT = [
  'set -e',
  'case "$1" in',
  '  report) cat -- "$2"; rm -f -- "$2"; exit 0 ;;',
  'esac',
  'command -v buildah >/dev/null 2>&1 || { echo "werf-run-load: no buildah in this image" >&2; exit 127; }',
  'conf="${CONTAINERS_STORAGE_CONF:-${XDG_CONFIG_HOME:-$HOME/.config}/containers/storage.conf}"',
  'case "${WERF_BUILDAH_STORAGE_DRIVER:-}" in',
  '  vfs) set -- "$@" --storage-driver vfs ;;',
  '  *) [ -f "$conf" ] || set -- "$@" --storage-driver overlay ;;',
  'esac',
  'id="$2"; name="$3"; shift 3',
  'buildah "$@" inspect --type image "$id" >/dev/null 2>&1 || { echo "werf-run-load: image $id is not in buildah\'s storage" >&2; exit 3; }',
  'exec buildah "$@" push --quiet "$id" "docker-archive:/dev/stdout:$name"',
].join('\n');

/** The helper's exit code when the image is missing from the storage (the script's `exit 3`). */
export const HELPER_MISSING_IMAGE = 3;
export const HELPER_NO_BUILDAH = 127;

/**
 * The short helper container: werf's own container of the mode that worked
 * (image, user, security settings, devices, env) with only its volumes (the
 * buildah storage and the werf home), no network, no TTY, no stdin.
 */
export function helperSpec(werf: ContainerSpec, args: readonly string[]): ContainerSpec {
  return {
    image: werf.image,
    cmd: ['sh', '-c', LOAD_HELPER_SCRIPT, 'werf-run-load', ...args],
    env: werf.env,
    ...(werf.user === undefined ? {} : { user: werf.user }),
    ...(werf.workingDir === undefined ? {} : { workingDir: '/' }),
    labels: { ...werf.labels, 'werf-run.role': args[0] === 'report' ? 'load-report' : 'load' },
    tty: false,
    openStdin: false,
    mounts: werf.mounts.filter((m) => m.type === 'volume'),
    securityOpt: werf.securityOpt,
    devices: werf.devices,
    privileged: werf.privileged,
    networkMode: 'none',
    ...(werf.usernsMode === undefined ? {} : { usernsMode: werf.usernsMode }),
    ...(werf.ulimits === undefined ? {} : { ulimits: werf.ulimits }),
  };
}
