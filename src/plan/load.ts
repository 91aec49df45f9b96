/**
 * `--load` (pure): which werf runs it applies to, the build report werf is
 * asked for, the final images read from that report, which of them the
 * engine needs, and the short helper container that exports one with werf
 * export through a loopback crane registry. run/load.ts does the I/O.
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
import { ExitCode, UsageError, WerfRunError, errorMessage } from '../errors.js';
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

export type LoadStep = { image: LoadImage; action: 'load' } | { image: LoadImage; action: 'present'; id: string };

/**
 * An image the engine has already is only named, not streamed again. "Has" is
 * werf's name (`<project>:<digest>-<creation ms>`, unique per stage: a load
 * gives it to the exported image) or the report's ID (an image loaded another
 * way). `engineHas` answers the image ID behind a reference, or undefined.
 */
export function loadSteps(images: readonly LoadImage[], engineHas: (ref: string) => string | undefined): LoadStep[] {
  return images.map((image) => {
    const id = engineHas(image.name) ?? engineHas(image.id);
    return id === undefined ? { image, action: 'load' } : { image, action: 'present', id };
  });
}

/**
 * The loopback registry inside the helper: `crane registry serve` listens on
 * the helper's own loopback (network `none` still has one), so any fixed port
 * is free there.
 */
export const LOAD_REGISTRY_PORT = 39517;

/** A Docker tag: word characters, `.` and `-`, not starting with either, at most 128. */
const TAG = /^\w[\w.-]{0,127}$/;

/**
 * Where werf export pushes one image in the helper's loopback registry, and
 * the name the engine first loads it under (removed once werf's names are on):
 * `127.0.0.1:<port>/werf-run-load/<image slug>:<werf's stage tag>`.
 */
export function loopbackRef(image: LoadImage): string {
  const slug =
    image.werfName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'image';
  const tag = image.name.slice(image.name.lastIndexOf(':') + 1);
  return `127.0.0.1:${String(LOAD_REGISTRY_PORT)}/werf-run-load/${slug}:${TAG.test(tag) ? tag : 'latest'}`;
}

/**
 * werf's options that decide which werf.yaml werf export reads, copied from
 * the build's arguments (werf export takes them as werf build does:
 * cmd/werf/export/export.go:87-95 SetupDir, SetupGitWorkTree, SetupConfig*,
 * SetupEnvironment, SetupGiterminismOptions = cmd/werf/common/common.go:125-145
 * with --loose-giterminism and --dev).
 */
const EXPORT_VALUE_FLAGS = ['--dir', '--config', '--config-templates-dir', '--giterminism-config', '--git-work-tree', '--env'];
const EXPORT_BOOL_FLAGS = ['--dev', '--loose-giterminism'];

export function exportPassThrough(werfArgs: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < werfArgs.length; i++) {
    const arg = werfArgs[i] ?? '';
    if (arg === '--') break;
    const flag = arg.split('=', 1)[0] ?? '';
    if (EXPORT_VALUE_FLAGS.includes(flag)) {
      if (arg.includes('=')) out.push(arg);
      else if (i + 1 < werfArgs.length) out.push(`${arg}=${werfArgs[++i] ?? ''}`);
    } else if (EXPORT_BOOL_FLAGS.includes(flag)) out.push(arg);
  }
  return out;
}

/**
 * The helper's shell script, for werf's published images (werf, sh, git,
 * crane v0.20.2; no buildah command: werf/werf
 * scripts/werf-in-image/dockerfile/werf/alpine.Dockerfile).
 * `report PATH`: print werf-run's own report, then remove it.
 * `export IMAGE REF PORT REPORT [werf options]`: start crane's registry on the
 * helper's loopback (go-containerregistry v0.20.2 cmd/crane/cmd/serve.go:59-60
 * --address, :83-85 --disk, :92 "serving on port" once listening), let werf
 * export IMAGE from the report into it as REF (plain HTTP: --insecure-registry, which
 * werf's embedded buildah honours too: cmd/werf/common/container_backend.go:108,126),
 * then stream REF as a docker-loadable tarball to stdout
 * (cmd/crane/cmd/pull.go:38,134: `pull IMAGE TARBALL`, format tarball; root.go:137
 * --insecure). werf's and crane's messages go to stderr; stdout carries only
 * the tarball. Exit codes: HELPER_* below.
 */
export const LOAD_HELPER_SCRIPT = [
  'set -eu',
  'case "$1" in',
  '  report) cat -- "$2"; rm -f -- "$2"; exit 0 ;;',
  'esac',
  'image="$2"; ref="$3"; port="$4"; report="$5"; shift 5',
  'command -v crane >/dev/null 2>&1 || { echo "werf-run-load: no crane command in this image" >&2; exit 90; }',
  'werf export --help >/dev/null 2>&1 || { echo "werf-run-load: this werf has no export command" >&2; exit 91; }',
  'tmp="$(mktemp -d)"; reg=""',
  // set -e holds in the trap too: the registry's exit status (143 after the kill) must not become the helper's.
  'trap \'[ -z "$reg" ] || { kill "$reg" 2>/dev/null || true; wait "$reg" 2>/dev/null || true; }; rm -rf "$tmp"\' EXIT',
  'printf "%s" "$report" >"$tmp/report.json"',
  'crane registry serve --address "127.0.0.1:$port" --disk "$tmp/blobs" >"$tmp/registry.log" 2>&1 &',
  'reg=$!; i=0',
  'until grep -q "serving on port" "$tmp/registry.log" 2>/dev/null; do',
  '  kill -0 "$reg" 2>/dev/null || { cat "$tmp/registry.log" >&2; echo "werf-run-load: crane registry serve stopped" >&2; exit 92; }',
  '  i=$((i + 1)); [ "$i" -lt 200 ] || { echo "werf-run-load: crane registry serve did not answer in 10 s" >&2; exit 92; }',
  '  sleep 0.05',
  'done',
  // local_stages_storage.go:146-148: a stage missing from the storage fails werf's tag step with "unable to tag".
  'if ! werf export "$image" --use-build-report --build-report-path "$tmp/report.json" --tag "$ref" --insecure-registry "$@" >"$tmp/export.log" 2>&1; then',
  '  cat "$tmp/export.log" >&2',
  '  if grep -q "unable to tag" "$tmp/export.log"; then exit 3; fi',
  '  exit 93',
  'fi',
  'cat "$tmp/export.log" >&2',
  'crane pull --insecure "$ref" /dev/stdout || exit 94',
].join('\n');

/** The helper's exit codes (the script's own): the image is missing from the storage, no crane, no werf export, crane's registry, werf export, crane pull. */
export const HELPER_MISSING_IMAGE = 3;
export const HELPER_NO_CRANE = 90;
export const HELPER_NO_EXPORT = 91;
export const HELPER_NO_REGISTRY = 92;
export const HELPER_EXPORT_FAILED = 93;
export const HELPER_PULL_FAILED = 94;

/**
 * werf's report with only this image's record (werf export --use-build-report
 * reads the records it is asked for: pkg/build/export_phase.go:115-133), so
 * the helper's argument stays small however many images werf built.
 */
export function singleImageReport(report: string, image: LoadImage): string {
  const parsed = JSON.parse(report) as { Images: Record<string, { WerfImageName?: unknown }> };
  const Images = Object.fromEntries(
    Object.entries(parsed.Images).filter(([key, record]) => key === image.werfName || record.WerfImageName === image.werfName),
  );
  return JSON.stringify({ ...parsed, Images });
}

/** The last lines of the helper's stderr (werf's or crane's own words). */
const tail = (stderr: string): string => stderr.trim().split('\n').slice(-3).join(' ');

/** What one image's load ended with: the helper's exit code and stderr, and the engine's refusal if it refused. */
export interface LoadEnd {
  helperExit: number | undefined;
  stderr: string;
  refused?: unknown;
}

const fail = (message: string, remedy: string, cause?: unknown): WerfRunError =>
  new WerfRunError(message, { exitCode: ExitCode.loadFailed, remedy, cause });

/** Why one image's load failed (exit code loadFailed, with the image and a fix); undefined when the helper and the engine both succeeded. */
export function loadError(werfImage: string, image: LoadImage, { helperExit, stderr, refused }: LoadEnd): WerfRunError | undefined {
  const which = `${image.werfName} (${image.name})`;
  switch (helperExit) {
    case 0:
      break;
    case HELPER_MISSING_IMAGE:
      return fail(
        `--load: image ${image.werfName} (${image.name}, ${image.id}) is not in buildah's storage in the volumes werf used: ${tail(stderr)}`,
        'run werf-run --load build again (werf builds it anew); if the storage volume was removed or changed meanwhile, that is why',
      );
    case HELPER_NO_CRANE:
    case HELPER_NO_EXPORT:
      return fail(
        `--load: the werf image ${werfImage} has no ${helperExit === HELPER_NO_CRANE ? 'crane command' : 'werf export command'}, which --load uses to bring ${image.werfName} out of its storage`,
        "use werf's own image (ghcr.io/werf/werf:2-stable-alpine or another 2.x tag: werf with export, and crane), or push with --repo and docker pull from there",
      );
    case HELPER_NO_REGISTRY:
      return fail(
        `--load: crane registry serve did not start in the helper container for ${which}: ${tail(stderr)}`,
        "run werf-run -v --load build to see the helper container; the image stays in buildah's storage",
      );
    case HELPER_EXPORT_FAILED:
      return fail(
        `--load: werf export of ${which} failed: ${tail(stderr)}`,
        "run werf-run -v --load build to see werf export's whole output; the image stays in buildah's storage",
      );
    case HELPER_PULL_FAILED:
      return fail(
        `--load: crane pull of ${which} from the helper's loopback registry failed: ${tail(stderr)}`,
        "run werf-run -v --load build to see the helper container; the image stays in buildah's storage",
      );
    default:
      return fail(
        `--load: streaming ${which} out of the helper container failed (exit code ${String(helperExit)}): ${tail(stderr)}`,
        "run werf-run -v --load build to see the helper container; the image stays in buildah's storage",
      );
  }
  if (refused !== undefined)
    return fail(
      `--load: the engine refused image ${which}: ${errorMessage(refused)}`,
      "check the engine's disk space and that it accepts docker-archive loads (docker load); werf's image stays in buildah's storage",
      refused,
    );
  return undefined;
}

/** The helper's arguments to export one image. `report` is the report's JSON text (written to the helper's own /tmp). */
export function exportArgs(image: LoadImage, report: string, werfArgs: readonly string[]): string[] {
  return [
    'export',
    image.werfName,
    loopbackRef(image),
    String(LOAD_REGISTRY_PORT),
    singleImageReport(report, image),
    ...exportPassThrough(werfArgs),
  ];
}

/**
 * The short helper container: werf's own container of the mode that worked
 * (image, user, security settings, devices, env), no network (its own
 * loopback only), no TTY, no stdin. Reading the report needs only the
 * volumes; werf export also reads werf.yaml and git, so it gets all of
 * werf's mounts (the project too) and werf's working dir.
 */
export function helperSpec(werf: ContainerSpec, args: readonly string[]): ContainerSpec {
  const report = args[0] === 'report';
  return {
    image: werf.image,
    cmd: ['sh', '-c', LOAD_HELPER_SCRIPT, 'werf-run-load', ...args],
    env: werf.env,
    ...(werf.user === undefined ? {} : { user: werf.user }),
    ...(werf.workingDir === undefined ? {} : { workingDir: report ? '/' : werf.workingDir }),
    labels: { ...werf.labels, 'werf-run.role': report ? 'load-report' : 'load' },
    tty: false,
    openStdin: false,
    mounts: report ? werf.mounts.filter((m) => m.type === 'volume') : werf.mounts,
    securityOpt: werf.securityOpt,
    devices: werf.devices,
    privileged: werf.privileged,
    networkMode: 'none',
    ...(werf.usernsMode === undefined ? {} : { usernsMode: werf.usernsMode }),
    ...(werf.ulimits === undefined ? {} : { ulimits: werf.ulimits }),
  };
}
