/**
 * What the real werf cannot do inside its container, refused before anything
 * starts, and the host variables that would mislead it there, translated or
 * dropped (pure). Facts from werf's source: cmd/werf/common/container_backend.go
 * (WERF_BUILDAH_MODE), pkg/werf/main.go (WERF_HOME, WERF_TMP_DIR),
 * cmd/werf/run (not implemented for Buildah mode), cmd/werf/compose (runs the
 * docker CLI).
 */
import { UsageError } from '../errors.js';
import { parseReference } from './reference.js';

type Env = Readonly<Record<string, string | undefined>>;

/** werf's first non-flag argument: its command. */
export function werfCommand(werfArgs: readonly string[]): string | undefined {
  return werfArgs.find((arg) => !arg.startsWith('-'));
}

/** A werf image of group 1.1 (tags 1.1, 1.1-<channel>[-<distro>], 1.1.N[-<distro>]), which has no buildah. */
export function isGroup11Image(image: string): boolean {
  const tag = parseReference(image)?.tag;
  return tag !== undefined && /^v?1\.1(\.\d+)?([-.].*)?$/.test(tag);
}

export interface RefusalInput {
  werfArgs: readonly string[];
  /** What reaches werf: host variables passed on, then config env.set. */
  env: Env;
  image: string;
  mountDockerSocket: boolean;
}

/** Throws a UsageError (exit 2) for what cannot work in the werf container, with what to do instead. */
export function refuseWhatCannotWork(input: RefusalInput): void {
  const command = werfCommand(input.werfArgs);
  const mode = input.env.WERF_BUILDAH_MODE;
  const withDocker = input.mountDockerSocket && mode === 'docker';
  if (command === 'ci-env') {
    throw new UsageError(
      'werf ci-env writes a docker config and a script inside the werf container and prints their paths, but that container is gone before your next command, so nothing it sets reaches it',
      'let werf-run run it in the same container as your command: set "ciEnv": "gitlab" or "github" in the werf-run config (or --ci-env gitlab|github; the default "auto" does it in GitLab CI and GitHub Actions), then run werf-run converge (build, ...) directly',
    );
  }
  if (command === 'run') {
    throw new UsageError(
      'werf run is "not implemented for Buildah mode", the mode werf uses in its container',
      'build with werf-run build --repo REPO, then run the image on the host with docker run (werf-run build prints the tags)',
    );
  }
  if (command === 'compose') {
    throw new UsageError(
      'werf compose runs the docker CLI, which the werf image does not have',
      'run werf compose with werf installed on the host, or build with werf-run build --repo REPO and use docker compose with the built images',
    );
  }
  if (isGroup11Image(input.image) && !withDocker) {
    throw new UsageError(
      `the werf image ${input.image} is of group 1.1, whose werf has no buildah and needs a Docker server`,
      'use group 1.2 or 2 (image.group, --image), or give werf this engine: mountDockerSocket: true with WERF_BUILDAH_MODE=docker',
    );
  }
  if (mode === 'native-rootless') {
    throw new UsageError(
      'WERF_BUILDAH_MODE=native-rootless: werf refuses it inside a container ("native rootless mode is not available in containers")',
      'unset WERF_BUILDAH_MODE (the werf image sets auto), or remove it from env.set in the werf-run config',
    );
  }
  if (mode === 'docker' && !input.mountDockerSocket) {
    throw new UsageError(
      'WERF_BUILDAH_MODE=docker makes werf use a Docker server, and the werf container has none',
      'unset WERF_BUILDAH_MODE (the werf image sets auto), or give werf this engine with mountDockerSocket: true in the werf-run config',
    );
  }
}

export interface EnvTranslation {
  /** Host variables not passed to werf. */
  drop: string[];
  /** Values werf gets instead of the host's. */
  set: Record<string, string>;
  /** One line per drop or translation (for --verbose and --dry-run). */
  notes: string[];
}

const DOCKER_CONFIG_VARS = ['WERF_DOCKER_CONFIG', 'DOCKER_CONFIG'] as const;
/** Every way werf and kubectl are told where a kubeconfig is (werf's cmd/werf/common kube options). */
const KUBECONFIG_VARS = ['WERF_KUBE_CONFIG', 'WERF_KUBECONFIG', 'KUBECONFIG', 'WERF_KUBE_CONFIG_BASE64', 'KUBECONFIG_BASE64'] as const;

const noTranslation = (): EnvTranslation => ({ drop: [], set: {}, notes: [] });

/** werf's own home and temporary dir are host paths werf would not find in its container: dropped (it uses the werf-run volumes). */
export function werfPathVars(env: Env): EnvTranslation {
  const out = noTranslation();
  for (const name of ['WERF_HOME', 'WERF_TMP_DIR']) {
    if (env[name] === undefined) continue;
    out.drop.push(name);
    out.notes.push(`${name}=${env[name]} not passed: in the container werf keeps its home and temporary files in the werf-run volumes`);
  }
  return out;
}

/** WERF_DOCKER_CONFIG and DOCKER_CONFIG: pointed at the directory of the config.json handed in, else dropped. */
export function dockerConfigVars(env: Env, dockerConfigDir: string | undefined): EnvTranslation {
  const out = noTranslation();
  for (const name of DOCKER_CONFIG_VARS) {
    if (env[name] === undefined) continue;
    if (dockerConfigDir) {
      out.set[name] = dockerConfigDir;
      out.notes.push(`${name}=${env[name]} becomes ${dockerConfigDir}, where werf-run hands in the registry credentials`);
    } else {
      out.drop.push(name);
      out.notes.push(`${name}=${env[name]} not passed: a host path, and no registry credentials are handed in`);
    }
  }
  // GitLab's whole docker config in a variable: its credentials are in the file handed in; werf reads the
  // variable itself only in `werf ci-env --use-docker-auth-config` (cmd/werf/ci_env/ci_env.go:84,416).
  if (dockerConfigDir && env.DOCKER_AUTH_CONFIG !== undefined && !/^(1|true|yes|on)$/i.test(env.WERF_USE_DOCKER_AUTH_CONFIG ?? '')) {
    out.drop.push('DOCKER_AUTH_CONFIG');
    out.notes.push(`DOCKER_AUTH_CONFIG not passed: its credentials are handed in with the others in ${dockerConfigDir}`);
  }
  return out;
}

/** The kubeconfig variables: pointed at the flattened kubeconfig handed in (base64 ones dropped), else dropped. */
export function kubeconfigVars(env: Env, kubeconfig: string | undefined): EnvTranslation {
  const out = noTranslation();
  for (const name of KUBECONFIG_VARS) {
    if (env[name] === undefined) continue;
    const base64 = name.endsWith('_BASE64');
    if (kubeconfig && !base64) {
      out.set[name] = kubeconfig;
      out.notes.push(`${name}=${env[name]} becomes ${kubeconfig}, the flattened kubeconfig werf-run hands in`);
    } else {
      out.drop.push(name);
      out.notes.push(`${name} not passed: ${kubeconfig ? `its kubeconfig is handed in as ${kubeconfig}` : 'no kubeconfig is handed in'}`);
    }
  }
  return out;
}
