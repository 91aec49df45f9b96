/**
 * Where the Docker Engine may be, as small strategies tried in the docker
 * CLI's order of precedence (the shape of testcontainers-node's
 * container-runtime strategies): each has a name and returns the endpoints it
 * stands for, or undefined when it does not apply. All facts (env, home,
 * config dir, the context store) are injected, so this file does no I/O of
 * its own and tests pass whatever host they like.
 *
 * Like the docker CLI, an explicit choice (engine.host/--host,
 * engine.context/--context, DOCKER_HOST, DOCKER_CONTEXT, the current context in
 * config.json, or a TLS variable alone, which makes docker's default
 * tcp://localhost:2376) is the only candidate: when it fails, werf-run does
 * not fall through to other sockets. Only with nothing chosen are the
 * well-known engines of this platform tried (wellKnownSockets): the docker
 * CLI would try its default socket only; werf-run's wider search is a
 * deliberate difference (docker-cli-tables.test.ts says so in its row).
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
import { resolveContext, type ContextStoreAccess } from './context-store.js';
import { DockerHostError, ENDPOINT_FORMS, parseDockerHost, platformOf, type HostPlatform } from './docker-host.js';
import type { Endpoint } from './port.js';

export const DEFAULT_SOCKET = 'unix:///var/run/docker.sock';

export interface DiscoveryFacts {
  /** engine.host from the config file, WERF_RUN_DOCKER_HOST or --host. */
  explicitHost?: string;
  /** engine.context from the config file or --context. */
  explicitContext?: string;
  /** The flag or variable that set engine.host / engine.context, for messages (unset: the config file). */
  explicitFrom?: { host?: string; context?: string };
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  /** currentContext of config.json, and the file it was read from. */
  currentContext?: { name: string; file: string };
  store: ContextStoreAccess;
  /** The OS werf-run runs on (process.platform unless a test says otherwise): Windows has named pipes, macOS its desktop products. */
  platform?: NodeJS.Platform;
  /** Names in a directory (empty when it cannot be read): Colima's profiles, Podman machines' sockets. Unset: none are listed. */
  listDir?: (dir: string) => string[];
}

export interface Strategy {
  name: string;
  /** An explicit choice is final: its failure is an error, never a fall-through. */
  explicit: boolean;
  find(facts: DiscoveryFacts): Endpoint[] | undefined;
}

export interface Candidates {
  endpoints: Endpoint[];
  /** The strategy that produced them. */
  strategy: Strategy;
}

/** The platform the docker CLI would run on here (win32 reads hosts as Windows' docker does). */
const platformFacts = (facts: Pick<DiscoveryFacts, 'platform'>): HostPlatform => platformOf(facts.platform ?? process.platform);

/** DOCKER_TLS_VERIFY / DOCKER_TLS as the docker CLI reads them: any non-empty value turns TLS on (cli/flags/options.go). */
function tlsFromEnv(env: DiscoveryFacts['env']): { verify: boolean } | undefined {
  const verify = Boolean(env.DOCKER_TLS_VERIFY);
  return verify || env.DOCKER_TLS ? { verify } : undefined;
}

/**
 * A --host / DOCKER_HOST value with DOCKER_TLS_VERIFY / DOCKER_TLS and
 * DOCKER_CERT_PATH, as the docker CLI's default context reads them
 * (cli/command/cli.go resolveDefaultDockerEndpoint, cli/flags/options.go):
 * the host normalised by opts.ParseHost (an empty one is the default socket,
 * or tcp://localhost:2376 with TLS on); TLS only when a TLS variable is set
 * (DOCKER_CERT_PATH alone means nothing); ca.pem is required, cert.pem and
 * key.pem are used only when they exist (a CA-only directory is server-only
 * TLS). docker reads the files even for a socket, which takes no TLS, and
 * fails when ca.pem is missing (seen with docker 28.2: "unable to resolve
 * docker endpoint: open .../ca.pem"), so the files go with every scheme.
 */
function dockerHostEndpoint(value: string, source: string, facts: DiscoveryFacts): Endpoint {
  const tls = tlsFromEnv(facts.env);
  let url: string;
  try {
    url = parseDockerHost(value, tls !== undefined, platformFacts(facts));
  } catch (error) {
    if (!(error instanceof DockerHostError)) throw error;
    throw new UsageError(
      `${source} = ${JSON.stringify(value)} is not a Docker host: ${error.message} (the docker CLI refuses it the same way)`,
      ENDPOINT_FORMS,
      error,
    );
  }
  if (!tls) return { url, source };
  const certDir = facts.env.DOCKER_CERT_PATH || facts.store.configDir;
  const optional = (file: string): string | undefined => (facts.store.exists(file) ? file : undefined);
  return {
    url,
    source: `${source} with ${tls.verify ? 'DOCKER_TLS_VERIFY' : 'DOCKER_TLS'} (certificates from ${facts.env.DOCKER_CERT_PATH ? 'DOCKER_CERT_PATH' : 'the docker config dir'} ${certDir})`,
    tls: {
      caFile: path.join(certDir, 'ca.pem'),
      certFile: optional(path.join(certDir, 'cert.pem')),
      keyFile: optional(path.join(certDir, 'key.pem')),
      verify: tls.verify,
    },
  };
}

/** The "default" context: --host or DOCKER_HOST if set, else the platform's default (tcp://localhost:2376 with TLS on). */
function defaultContext(facts: DiscoveryFacts, source: string): Endpoint {
  const host = facts.env.DOCKER_HOST;
  if (host) return dockerHostEndpoint(host, `docker context "default" (${source}) = DOCKER_HOST`, facts);
  return dockerHostEndpoint('', `docker context "default" (${source})`, facts);
}

/** engine.host/engine.context as the user set it: the flag (--host), the variable, or the config file's key. */
export function explicitName(facts: Pick<DiscoveryFacts, 'explicitFrom'>, key: 'engine.host' | 'engine.context'): string {
  const from = key === 'engine.host' ? facts.explicitFrom?.host : facts.explicitFrom?.context;
  if (!from) return `${key} (werf-run config)`;
  return from.startsWith('-') ? from : `${from} (${key})`;
}

const contextEndpoint = (facts: DiscoveryFacts, name: string, source: string): Endpoint =>
  name === 'default' ? defaultContext(facts, source) : resolveContext(name, source, facts.store);

const STRATEGIES: readonly Strategy[] = [
  {
    name: 'engine.host',
    explicit: true,
    // Like `docker -H`: DOCKER_TLS_VERIFY and DOCKER_CERT_PATH apply to it too.
    find: (f) => (f.explicitHost ? [dockerHostEndpoint(f.explicitHost, explicitName(f, 'engine.host'), f)] : undefined),
  },
  {
    name: 'engine.context',
    explicit: true,
    find: (f) => (f.explicitContext ? [contextEndpoint(f, f.explicitContext, explicitName(f, 'engine.context'))] : undefined),
  },
  {
    name: 'DOCKER_HOST',
    explicit: true,
    // Any non-empty value, even blanks (the docker CLI trims them and takes the default socket).
    find: (f) => (f.env.DOCKER_HOST ? [dockerHostEndpoint(f.env.DOCKER_HOST, 'DOCKER_HOST', f)] : undefined),
  },
  {
    name: 'DOCKER_CONTEXT',
    explicit: true,
    find: (f) => (f.env.DOCKER_CONTEXT ? [contextEndpoint(f, f.env.DOCKER_CONTEXT, 'DOCKER_CONTEXT')] : undefined),
  },
  {
    name: 'currentContext',
    explicit: true,
    // "default" as the current context is the docker CLI's normal state: nothing chosen.
    find: (f) =>
      f.currentContext && f.currentContext.name !== 'default'
        ? [resolveContext(f.currentContext.name, `currentContext in ${f.currentContext.file}`, f.store)]
        : undefined,
  },
  {
    // Nothing chose a host, but TLS is on: the docker CLI's default context is then tcp://localhost:2376 (opts.ParseHost with defaultToTLS).
    name: 'DOCKER_TLS_VERIFY',
    explicit: true,
    find: (f) =>
      tlsFromEnv(f.env)
        ? [dockerHostEndpoint('', f.env.DOCKER_TLS_VERIFY ? 'DOCKER_TLS_VERIFY without DOCKER_HOST' : 'DOCKER_TLS without DOCKER_HOST', f)]
        : undefined,
  },
  {
    name: 'well-known sockets',
    explicit: false,
    find: (f) => wellKnownSockets(f),
  },
];

type Known = [url: string | undefined, source: string];

/**
 * Colima's sockets: one per profile under $COLIMA_HOME (default ~/.colima),
 * `<profile>/docker.sock` since v0.4.0, `docker.sock` at the top before
 * (abiosoft/colima docs/FAQ.md, "Docker socket location"). The default
 * profile first, then the others found.
 */
function colimaSockets(facts: Pick<DiscoveryFacts, 'env' | 'home' | 'listDir'>, join: (...p: string[]) => string): Known[] {
  const root = facts.env.COLIMA_HOME || join(facts.home, '.colima');
  const profiles = ['default', ...(facts.listDir?.(root) ?? []).filter((p) => p !== 'default' && !p.startsWith('_')).sort()];
  return [
    ...profiles.map((p): Known => [`unix://${join(root, p, 'docker.sock')}`, `Colima${p === 'default' ? '' : ` (profile ${p})`}`]),
    [`unix://${join(root, 'docker.sock')}`, 'Colima (before v0.4)'],
  ];
}

/**
 * Podman machine on macOS: Podman 5 serves the API at
 * $TMPDIR/podman/<machine>-api.sock (what `podman machine inspect` names as
 * PodmanSocket), Podman 4 at ~/.local/share/containers/podman/machine/podman.sock.
 */
function podmanMachineMac(facts: Pick<DiscoveryFacts, 'env' | 'home' | 'listDir'>): Known[] {
  const tmp = facts.env.TMPDIR;
  const dir = tmp && path.posix.join(tmp, 'podman');
  const machines = dir
    ? ['podman-machine-default-api.sock', ...(facts.listDir?.(dir) ?? []).filter((n) => n.endsWith('-api.sock')).sort()]
    : [];
  return [
    ...machines.map((n): Known => [
      `unix://${path.posix.join(dir!, n)}`,
      `Podman machine${n === 'podman-machine-default-api.sock' ? '' : ` ${n.replace(/-api\.sock$/, '')}`} ($TMPDIR)`,
    ]),
    [
      `unix://${path.posix.join(facts.home, '.local', 'share', 'containers', 'podman', 'machine', 'podman.sock')}`,
      'Podman machine (Podman 4)',
    ],
  ];
}

/**
 * Where the usual engines listen when nothing chose one, per platform, most
 * common first. Never a unix:// URL built from a Windows path: on Windows the
 * engines are named pipes.
 */
export function wellKnownSockets(facts: Pick<DiscoveryFacts, 'env' | 'home' | 'platform' | 'listDir'>): Endpoint[] {
  const { env, home } = facts;
  const platform = facts.platform ?? process.platform;
  const join = path.posix.join;
  let list: Known[];
  if (platform === 'win32') {
    list = [
      // Docker Desktop (and Rancher Desktop with moby, which takes the same pipe); the docker CLI's default on Windows.
      ['npipe:////./pipe/docker_engine', 'the default Docker named pipe (Docker Desktop, Rancher Desktop)'],
      // Docker Desktop's Linux engine, its desktop-linux context.
      ['npipe:////./pipe/dockerDesktopLinuxEngine', 'Docker Desktop (Linux engine, context desktop-linux)'],
      ['npipe:////./pipe/podman-machine-default', 'Podman machine (podman-machine-default)'],
    ];
  } else {
    const xdg = env.XDG_RUNTIME_DIR;
    const mac = platform === 'darwin';
    list = [
      ['unix:///var/run/docker.sock', 'the default Docker socket'],
      [xdg && `unix://${join(xdg, 'docker.sock')}`, 'rootless Docker ($XDG_RUNTIME_DIR)'],
      [`unix://${join(home, '.docker', 'run', 'docker.sock')}`, 'Docker Desktop'],
      [`unix://${join(home, '.docker', 'desktop', 'docker.sock')}`, 'Docker Desktop (older versions)'],
      ...(mac ? ([[`unix://${join(home, '.orbstack', 'run', 'docker.sock')}`, 'OrbStack']] as Known[]) : []),
      [`unix://${join(home, '.rd', 'docker.sock')}`, 'Rancher Desktop'],
      ...colimaSockets(facts, join),
      [xdg && `unix://${join(xdg, 'podman', 'podman.sock')}`, 'rootless Podman ($XDG_RUNTIME_DIR)'],
      ['unix:///run/podman/podman.sock', 'rootful Podman'],
      ...(mac ? podmanMachineMac(facts) : []),
    ];
  }
  const seen = new Set<string>();
  const out: Endpoint[] = [];
  for (const [url, source] of list) {
    if (!url || seen.has(url)) continue;
    seen.add(url);
    out.push({ url, source: `well-known socket: ${source}` });
  }
  return out;
}

/** The endpoints to try and the strategy that chose them (pure, given the injected store). */
export function candidateEndpoints(facts: DiscoveryFacts, strategies: readonly Strategy[] = STRATEGIES): Candidates {
  if (facts.explicitHost && facts.explicitContext) {
    throw new UsageError(
      `${explicitName(facts, 'engine.host')} "${facts.explicitHost}" and ${explicitName(facts, 'engine.context')} "${facts.explicitContext}" are both set`,
      'set only one of them (like the docker CLI, which refuses both --host and --context)',
    );
  }
  for (const strategy of strategies) {
    const endpoints = strategy.find(facts);
    if (endpoints && endpoints.length > 0) return { endpoints, strategy };
  }
  throw new Error('no engine discovery strategy applied; the well-known sockets strategy always should');
}
