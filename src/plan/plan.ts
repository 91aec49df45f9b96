/**
 * plan(): everything werf-run decides about the werf container, as a pure
 * function of what the caller has already read (config, facts, project paths,
 * host env). No Docker, no filesystem: tests just build inputs.
 */
import type { Config, Mode } from '../config/schema.js';
import type { ContainerSpec, EngineProduct, MountSpec } from '../engine/port.js';
import { DEFAULT_ENV_PASS, selectEnv } from './env.js';
import { imageUser, storageDir, werfHomeDir } from './contract.js';
import { argInContainer, hostPaths, workdirInContainer, type HostOs, type HostPaths } from './host-path.js';
import { securityFor, type SecurityFacts } from './security.js';
import { ulimitsFor } from './engine-quirks.js';
import { ownedBy, type InjectedFile } from './files.js';
import { ciEnvCommand, type CiSystem } from './ci-env.js';
import type { AddedUser } from './checkout-owner.js';

export const MANAGED_LABEL = 'werf-run.managed';

/** A project dir's source on the engine's side: a host path to bind, or a named volume. */
export interface ProjectSource {
  type: 'bind' | 'volume';
  source: string;
}

export interface PlanInput {
  mode: Mode;
  image: string;
  werfArgs: readonly string[];
  /**
   * Host paths: the project's git root, where the user stands (inside it) and
   * git dirs outside the root that werf needs (worktrees, submodules).
   */
  project: {
    root: string;
    cwd: string;
    gitDirs?: readonly string[];
    /**
     * Where each dir comes from when not a bind of the same path on the
     * daemon's host: a translated host path (werf-run in a container), or a
     * volume it was shipped into. Always mounted at the dir's own path.
     */
    sources?: Readonly<Record<string, ProjectSource>>;
  };
  config: Config;
  /**
   * The kind of paths this machine uses (host-path.ts): every host path above
   * reaches the container through its mapping (identity on POSIX, C:\x ->
   * /c/x on Windows, the Windows path kept as the bind source). Default posix.
   */
  hostOs?: HostOs;
  /** engine.product (from /info) adds the engine's quirks, e.g. Podman's ulimits. */
  facts: SecurityFacts & { engine?: { product: EngineProduct } };
  hostEnv: Readonly<Record<string, string | undefined>>;
  tty: boolean;
  /** stdin is a pipe or a file (not a TTY): werf gets it as with `docker run -i`, and EOF when it ends. */
  pipedStdin?: boolean;
  /** Files the caller found on the host and wants werf to see read-only. */
  readOnlyFiles?: { source: string; target: string; writable?: boolean }[];
  /** Run `werf ci-env <ci> --as-file` and source it first, in the same container (plan/ci-env.ts). */
  ciEnv?: CiSystem;
  /** Files copied into the container before it starts (owner default: the image user). */
  files?: readonly InjectedFile[];
  /** Host variables werf must not get (host paths it would not find: plan/werf-in-container.ts). */
  dropEnv?: readonly string[];
  /** Extra values the caller computed (e.g. SSH_AUTH_SOCK inside the container). */
  extraEnv?: Readonly<Record<string, string>>;
  /**
   * Only with config.mountDockerSocket: the engine's unix socket on the host and
   * its group, so werf (uid 1000) can use it. Never mounted otherwise.
   */
  dockerSocket?: { path: string; gid: number };
  /** The network decided for werf's targets (network.ts); without it, config.network as it is. */
  network?: { networkMode?: string };
  /** config.user is a uid the image lacks: its passwd, group and subordinate ids are handed in (checkout-owner.ts). */
  addUser?: AddedUser;
}

/** Where the Docker socket appears in the werf container when the user asked for it. */
const CONTAINER_DOCKER_SOCKET = '/var/run/docker.sock';

export interface RunPlan {
  mode: Mode;
  image: string;
  container: ContainerSpec;
  /** Uploaded as one archive after create, before start; every file has its owner set. */
  files: InjectedFile[];
  /** Where the project's root is inside the container (host-path.ts's mapping of the host root). */
  projectDir: string;
  /** Directories the files' archive must not carry (they exist in the image; an entry would change their owner). */
  keptDirs: string[];
  /** A user the image lacks, added before start (run/inject.ts). */
  addUser?: AddedUser;
}

/**
 * Where werf starts: the caller's directory when it is in the project (the
 * checkout is mounted at its own path, host-path.ts), else the project's root.
 */
export function containerWorkdir(root: string, cwd: string, hp: HostPaths = hostPaths('posix')): string {
  return workdirInContainer(hp, root, cwd);
}

/** WERF_* values naming absolute host paths, as werf finds them in the container (identity on POSIX). */
function werfEnvInContainer(hp: HostPaths, env: PlanInput['hostEnv']): PlanInput['hostEnv'] {
  if (hp.os === 'posix') return env;
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => [name, name.startsWith('WERF_') && value !== undefined ? argInContainer(hp, value) : value]),
  );
}

/** The werf container's mounts: the project (and its git dirs) at its own path, the volumes, the host files, the socket, the config's. */
function mountsFor(input: PlanInput, hp: ReturnType<typeof hostPaths>, who: { home: string; uid?: number }): MountSpec[] {
  const { config } = input;
  return [
    // At its own path: werf keys its git cache on the project's path (a fixed
    // target would share one key between all projects), and absolute paths in
    // werf's arguments (--dir, --config, --values) stay valid.
    // Worktrees and submodules: .git is a file naming a dir outside the root; werf writes there (git worktree add).
    ...[input.project.root, ...(input.project.gitDirs ?? [])].map((dir): MountSpec => {
      const from = input.project.sources?.[dir] ?? { type: 'bind', source: dir };
      return { type: from.type, source: from.source, target: hp.inContainer(dir), readOnly: false };
    }),
    // Buildah's storage must not sit on the container's overlay root: native
    // overlay cannot stack on overlayfs. A named volume also keeps the cache.
    { type: 'volume', source: config.volumes.storage, target: storageDir(who.home, who.uid), readOnly: false },
    { type: 'volume', source: config.volumes.werfHome, target: werfHomeDir(who.home), readOnly: false },
    ...(input.readOnlyFiles ?? []).map((f) => ({ type: 'bind' as const, source: f.source, target: f.target, readOnly: !f.writable })),
    ...(input.dockerSocket
      ? [{ type: 'bind' as const, source: input.dockerSocket.path, target: CONTAINER_DOCKER_SOCKET, readOnly: false }]
      : []),
    ...config.mounts.map((m) => ({
      type: 'bind' as const,
      source: hp.path.isAbsolute(m.source) ? m.source : hp.path.join(input.project.root, m.source),
      target: m.target,
      readOnly: m.readOnly,
    })),
  ];
}

export function plan(input: PlanInput): RunPlan {
  const { config } = input;
  const hp = hostPaths(input.hostOs ?? 'posix');
  const who = imageUser(config.user);
  const werfArgs = input.werfArgs.map((arg) => argInContainer(hp, arg));
  const mounts = mountsFor(input, hp, who);
  const security = securityFor(input.mode, input.facts);
  // A user the contract does not know by uid (a name, name:group): its files stay without owner here;
  // run/inject.ts reads the ids from the image's /etc/passwd in the created container.
  const files = input.files ?? [];
  return {
    mode: input.mode,
    image: input.image,
    files: who.uid === undefined ? [...files] : ownedBy(files, { uid: who.uid, gid: who.uid }),
    // An added user's home is not in the image: the archive creates it, owned by that user. The werf home is a volume
    // (its mount point always exists): an entry for it would set its mode from whichever file came first (0700 for the
    // global secret key, 0755 for the CA bundle), so it would flip between runs that copy different files.
    keptDirs: input.addUser ? ['/tmp'] : [who.home, werfHomeDir(who.home), '/tmp'],
    ...(input.addUser ? { addUser: input.addUser } : {}),
    projectDir: hp.inContainer(input.project.root),
    container: {
      image: input.image,
      cmd: input.ciEnv ? ciEnvCommand(input.ciEnv, werfArgs) : ['werf', ...werfArgs],
      env: selectEnv(
        werfEnvInContainer(hp, input.hostEnv),
        [...DEFAULT_ENV_PASS, ...config.env.pass],
        {
          ...input.extraEnv,
          ...(input.dockerSocket ? { DOCKER_HOST: `unix://${CONTAINER_DOCKER_SOCKET}` } : {}),
          ...config.env.set,
        },
        input.dropEnv,
      ),
      user: who.user,
      workingDir: containerWorkdir(input.project.root, input.project.cwd, hp),
      labels: {
        // The owner labels are added where the container is created (run/live-containers.ts's trackingEngine).
        [MANAGED_LABEL]: 'true',
        'werf-run.mode': input.mode,
        'werf-run.project': input.project.root,
      },
      tty: input.tty,
      openStdin: input.tty || Boolean(input.pipedStdin),
      mounts,
      ...security,
      networkMode: input.network ? input.network.networkMode : config.network,
      ulimits: ulimitsFor(input.facts.engine?.product),
      ...(input.dockerSocket ? { groupAdd: [String(input.dockerSocket.gid)] } : {}),
    },
  };
}
