/**
 * Finding the Docker Engine the way the docker CLI does. Each candidate comes
 * with where it was found; the first that answers a ping wins, and when none
 * does the error lists every candidate and why it failed.
 */
import { WerfRunError, errorMessage } from '../errors.js';
import type { Endpoint, Engine } from './port.js';

export interface DiscoverInput {
  /** engine.host from config or --host. */
  explicitHost?: string;
  env: Readonly<Record<string, string | undefined>>;
  timeoutMs: number;
}

/** The endpoints to try, in the docker CLI's order of precedence (pure). */
export function candidateEndpoints(input: DiscoverInput): Endpoint[] {
  if (input.explicitHost) return [{ url: input.explicitHost, source: 'werf-run config or --host' }];
  const dockerHost = input.env.DOCKER_HOST;
  if (dockerHost) return [{ url: dockerHost, source: 'DOCKER_HOST' }];
  return [{ url: 'unix:///var/run/docker.sock', source: 'default socket' }];
}

export async function connect(
  input: DiscoverInput,
  open: (endpoint: Endpoint) => Engine,
): Promise<Engine> {
  const failures: string[] = [];
  for (const endpoint of candidateEndpoints(input)) {
    let engine: Engine;
    try {
      engine = open(endpoint);
      await engine.ping(input.timeoutMs);
      return engine;
    } catch (error) {
      failures.push(`  - ${endpoint.url} (from ${endpoint.source}): ${errorMessage(error)}`);
    }
  }
  throw new WerfRunError(`no Docker Engine answered. Tried:\n${failures.join('\n')}`, {
    remedy:
      'start the Docker daemon (e.g. dockerd, or Docker Desktop), or point DOCKER_HOST at a running one; if the socket exists but access is denied, join the docker group',
  });
}
