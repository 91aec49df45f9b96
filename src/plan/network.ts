/**
 * The werf container's network (pure). werf talks to registries (and, for
 * deploys, clusters) from inside its container; an address on the loopback
 * (localhost, 127.*, [::1]) there means the container's own loopback unless
 * the container shares a network namespace that has the service on it. On a
 * local Linux engine that is the host network; on a rootless Docker Engine the
 * "host" network is rootlesskit's namespace, not the machine's; on a remote or
 * Docker Desktop engine it is another machine (or VM) altogether.
 */
import { parseReference } from './reference.js';
import type { EngineProduct } from '../engine/port.js';

export interface LoopbackTarget {
  /** Where the address was found, e.g. "--repo 127.0.0.1:5000/app", "WERF_REPO", "kubeconfig server https://127.0.0.1:6443". */
  what: string;
  /** The loopback host (with its port when given), e.g. "127.0.0.1:5000". */
  host: string;
}

export interface NetworkDecision {
  /** The container's network mode; undefined: the engine's default. */
  networkMode?: string;
  /** Said to the user as information (e.g. why the host network was chosen). */
  notes: string[];
  warnings: string[];
}

export interface NetworkEngine {
  /** The daemon runs on this machine (a unix socket or named pipe, or tcp to this machine's loopback). */
  local: boolean;
  /** The daemon is rootless (rootlesskit for Docker, a user's Podman). */
  rootless: boolean;
  /** The daemon shares this machine's Linux kernel and network (not Docker Desktop's VM). */
  linux: boolean;
  /**
   * Rootless Podman's host network is the user's own, which is the machine's;
   * rootless Docker's is rootlesskit's. Unset: treated as Docker.
   */
  product?: EngineProduct;
}

/** werf's flags naming a registry (cmd/werf/common/common.go: repo, final-repo, secondary-repo, cache-repo). */
export const REPO_FLAGS = ['--repo', '--final-repo', '--secondary-repo', '--cache-repo'] as const;
/** ... and the variables werf reads for them (NewRepoData's WERF_REPO/WERF_FINAL_REPO, the _* prefixes). */
export const REPO_VARIABLES = /^(WERF_REPO|WERF_FINAL_REPO|WERF_SECONDARY_REPO_.+|WERF_CACHE_REPO_.+)$/;

/** The host (with port) of a loopback address, or undefined: localhost, 127.0.0.0/8, ::1 (bracketed or not). */
export function loopbackHost(address: string): string | undefined {
  const withoutScheme = address.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const host = withoutScheme.split('/')[0] ?? '';
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  const lower = name.toLowerCase();
  if (lower === 'localhost' || lower.endsWith('.localhost')) return host;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(lower)) return host;
  if (lower === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(lower) || lower === '0:0:0:0:0:0:0:1') return host;
  return undefined;
}

/** The registry part of an image reference or repository (the first component when it looks like a host). */
function registryOf(reference: string): string | undefined {
  const parsed = parseReference(reference);
  const name = parsed?.name ?? reference;
  const first = name.split('/')[0] ?? '';
  if (!name.includes('/') && !/[.:]/.test(first) && first !== 'localhost') return undefined;
  return loopbackHost(first);
}

/**
 * The loopback registries werf would talk to: its repo flags (either form),
 * the variables it reads for them (from `env`, what reaches the container),
 * and the werf image's own registry.
 */
export function loopbackTargetsInWerfArgs(
  werfArgs: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  /** Left out by exports: there the runner pulls the image, and base images may come from elsewhere. */
  image: string | undefined,
): LoopbackTarget[] {
  const targets: LoopbackTarget[] = [];
  const add = (what: string, value: string): void => {
    const host = registryOf(value);
    if (host !== undefined) targets.push({ what, host });
  };
  for (let i = 0; i < werfArgs.length; i++) {
    const arg = werfArgs[i]!;
    if (arg === '--') break;
    for (const flag of REPO_FLAGS) {
      if (arg === flag && werfArgs[i + 1] !== undefined) add(`${flag} ${werfArgs[i + 1]!}`, werfArgs[i + 1]!);
      else if (arg.startsWith(`${flag}=`)) add(arg.replace('=', ' '), arg.slice(flag.length + 1));
    }
  }
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value !== undefined && REPO_VARIABLES.test(name)) add(`${name}=${value}`, value);
  }
  if (image !== undefined) add(`the werf image ${image}`, image);
  return targets;
}

const list = (targets: readonly LoopbackTarget[]): string => targets.map((t) => `${t.what} (${t.host})`).join(', ');

const ROOTLESS_FIX =
  "use the registry's non-loopback address; or start the daemon with DOCKERD_ROOTLESS_ROOTLESSKIT_DISABLE_HOST_LOOPBACK=false (Docker 23+) and use 10.0.2.2 " +
  "(slirp4netns's address for the machine's loopback); or forward the port into rootlesskit's namespace with socat and nsenter (docs/troubleshooting.md, Rootless Docker and Podman)";

const rootlessWarning = (names: string): string =>
  `the engine is a rootless Docker Engine: network host is rootlesskit's namespace, where ${names} reaches this machine's loopback only if the port is forwarded into it; ` +
  `if werf cannot connect: ${ROOTLESS_FIX}`;

/**
 * Which network the werf container gets, and what to tell the user, when werf
 * would talk to loopback addresses (`targets`). A configured network is kept.
 */
export function decideNetwork(input: { configured?: string; engine: NetworkEngine; targets: readonly LoopbackTarget[] }): NetworkDecision {
  const { configured, engine, targets } = input;
  const notes: string[] = [];
  const warnings: string[] = [];
  if (targets.length === 0) return { networkMode: configured, notes, warnings };
  const sharesMachine = engine.local && engine.linux;
  const rootlessDocker = engine.rootless && engine.product !== 'podman';
  const names = list(targets);

  if (configured !== undefined) {
    if (configured !== 'host') {
      warnings.push(
        `${names} ${targets.length > 1 ? 'are loopback addresses' : 'is a loopback address'}, which the werf container on network "${configured}" reaches only on its own loopback; ` +
          (sharesMachine && !rootlessDocker
            ? "set network to host (config network, WERF_RUN_NETWORK or --network host) to reach this machine's"
            : `use an address the daemon's host can reach`),
      );
    } else if (sharesMachine && rootlessDocker) {
      warnings.push(rootlessWarning(names));
    } else if (!sharesMachine) {
      notes.push(
        `network host: ${names} resolves on the daemon's host (${engine.local ? "Docker Desktop's VM" : 'another machine'}), not this one`,
      );
    }
    return { networkMode: configured, notes, warnings };
  }

  if (!sharesMachine) {
    warnings.push(
      `${names} ${targets.length > 1 ? 'are loopback addresses' : 'is a loopback address'}: inside the werf container on ${engine.local ? "Docker Desktop's VM" : 'a remote engine'} it is not this machine; ` +
        `use an address the daemon's host can reach (Docker Desktop: host.docker.internal), or set network to host if the service runs on the daemon's host`,
    );
    return { networkMode: undefined, notes, warnings };
  }
  if (rootlessDocker) {
    warnings.push(rootlessWarning(names));
    return { networkMode: 'host', notes, warnings };
  }
  notes.push(
    `network host for the werf container: ${names} ${targets.length > 1 ? 'are' : 'is'} on this machine's loopback (set network to choose another)`,
  );
  return { networkMode: 'host', notes, warnings };
}

/**
 * What decideNetwork needs to know of the engine, from its endpoint and /info
 * (pure): a unix socket, named pipe or tcp to this machine's loopback is local;
 * Docker Desktop (its /info names it) runs the daemon in a VM.
 */
export function networkEngine(input: {
  endpointUrl: string;
  operatingSystem: string | undefined;
  platform: NodeJS.Platform;
  rootless: boolean;
  product: EngineProduct | undefined;
}): NetworkEngine {
  const tcp = /^(?:tcp|https?):\/\/([^/]+)/.exec(input.endpointUrl);
  const local = /^(unix|npipe):/.test(input.endpointUrl) || (tcp !== null && loopbackHost(tcp[1]!) !== undefined);
  const desktop = /Docker Desktop/i.test(input.operatingSystem ?? '');
  return {
    local,
    rootless: input.rootless,
    linux: input.platform === 'linux' && !desktop,
    ...(input.product ? { product: input.product } : {}),
  };
}
