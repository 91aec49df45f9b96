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
 * config.json) is the only candidate: when it fails, werf-run does not fall
 * through to other sockets. Only with nothing chosen are the well-known
 * sockets of Docker, rootless Docker, Docker Desktop, Podman and Colima tried.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
import { resolveContext, type ContextStoreAccess } from './context-store.js';
import type { Endpoint } from './port.js';

export const DEFAULT_SOCKET = 'unix:///var/run/docker.sock';

export interface DiscoveryFacts {
  /** engine.host from the config file, WERF_RUN_DOCKER_HOST or --host. */
  explicitHost?: string;
  /** engine.context from the config file or --context. */
  explicitContext?: string;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  /** currentContext of config.json, and the file it was read from. */
  currentContext?: { name: string; file: string };
  store: ContextStoreAccess;
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

/** DOCKER_HOST with DOCKER_TLS_VERIFY / DOCKER_TLS / DOCKER_CERT_PATH, as the docker CLI reads them. */
export function dockerHostEndpoint(value: string, source: string, env: DiscoveryFacts['env'], configDir: string): Endpoint {
  // Like the docker CLI, a bare host:port means tcp://host:port.
  const url = value.includes('://') ? value : `tcp://${value}`;
  const verify = Boolean(env.DOCKER_TLS_VERIFY);
  const tls = verify || Boolean(env.DOCKER_TLS);
  if (!tls || !/^(tcp|https?):/.test(url)) return { url, source };
  const certDir = env.DOCKER_CERT_PATH || configDir;
  return {
    url,
    source: `${source} with ${verify ? 'DOCKER_TLS_VERIFY' : 'DOCKER_TLS'} (certificates from ${env.DOCKER_CERT_PATH ? 'DOCKER_CERT_PATH' : 'the docker config dir'} ${certDir})`,
    tls: {
      caFile: path.join(certDir, 'ca.pem'),
      certFile: path.join(certDir, 'cert.pem'),
      keyFile: path.join(certDir, 'key.pem'),
      verify,
    },
  };
}

/** The "default" context: DOCKER_HOST if set, else the platform's default socket. */
function defaultContext(facts: DiscoveryFacts, source: string): Endpoint {
  const host = facts.env.DOCKER_HOST;
  if (host) return dockerHostEndpoint(host, `docker context "default" (${source}) = DOCKER_HOST`, facts.env, facts.store.configDir);
  return { url: DEFAULT_SOCKET, source: `docker context "default" (${source})` };
}

const contextEndpoint = (facts: DiscoveryFacts, name: string, source: string): Endpoint =>
  name === 'default' ? defaultContext(facts, source) : resolveContext(name, source, facts.store);

export const STRATEGIES: readonly Strategy[] = [
  {
    name: 'engine.host',
    explicit: true,
    // Like `docker -H`: DOCKER_TLS_VERIFY and DOCKER_CERT_PATH apply to it too.
    find: (f) =>
      f.explicitHost
        ? [dockerHostEndpoint(f.explicitHost, 'engine.host (werf-run config, WERF_RUN_DOCKER_HOST or --host)', f.env, f.store.configDir)]
        : undefined,
  },
  {
    name: 'engine.context',
    explicit: true,
    find: (f) => (f.explicitContext ? [contextEndpoint(f, f.explicitContext, 'engine.context or --context')] : undefined),
  },
  {
    name: 'DOCKER_HOST',
    explicit: true,
    find: (f) => (f.env.DOCKER_HOST ? [dockerHostEndpoint(f.env.DOCKER_HOST, 'DOCKER_HOST', f.env, f.store.configDir)] : undefined),
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
    name: 'well-known sockets',
    explicit: false,
    find: (f) => wellKnownSockets(f.env, f.home),
  },
];

/** Sockets of the usual engines, most common first; the XDG ones only when XDG_RUNTIME_DIR is set. */
export function wellKnownSockets(env: DiscoveryFacts['env'], home: string): Endpoint[] {
  const xdg = env.XDG_RUNTIME_DIR;
  const list: [string | undefined, string][] = [
    ['/var/run/docker.sock', 'the default Docker socket'],
    [xdg && path.join(xdg, 'docker.sock'), 'rootless Docker ($XDG_RUNTIME_DIR)'],
    [path.join(home, '.docker', 'run', 'docker.sock'), 'Docker Desktop'],
    [path.join(home, '.docker', 'desktop', 'docker.sock'), 'Docker Desktop (older versions)'],
    [xdg && path.join(xdg, 'podman', 'podman.sock'), 'rootless Podman ($XDG_RUNTIME_DIR)'],
    ['/run/podman/podman.sock', 'rootful Podman'],
    [path.join(home, '.colima', 'default', 'docker.sock'), 'Colima'],
    [path.join(home, '.colima', 'docker.sock'), 'Colima (older versions)'],
  ];
  const seen = new Set<string>();
  const out: Endpoint[] = [];
  for (const [socket, source] of list) {
    if (!socket || seen.has(socket)) continue;
    seen.add(socket);
    out.push({ url: `unix://${socket}`, source: `well-known socket: ${source}` });
  }
  return out;
}

/** The endpoints to try and the strategy that chose them (pure, given the injected store). */
export function candidateEndpoints(facts: DiscoveryFacts, strategies: readonly Strategy[] = STRATEGIES): Candidates {
  if (facts.explicitHost && facts.explicitContext) {
    throw new UsageError(
      `engine.host (${facts.explicitHost}) and engine.context (${facts.explicitContext}) are both set`,
      'set only one of them (like the docker CLI, which refuses both --host and --context)',
    );
  }
  for (const strategy of strategies) {
    const endpoints = strategy.find(facts);
    if (endpoints && endpoints.length > 0) return { endpoints, strategy };
  }
  throw new Error('no engine discovery strategy applied; the well-known sockets strategy always should');
}

