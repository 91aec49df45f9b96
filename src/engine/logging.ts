/**
 * A decorator of the Engine port that reports every Engine API call with its
 * essential arguments, outcome and duration (for --verbose). It never logs
 * secrets: registry credentials are reduced to their server, environment
 * entries to their names.
 */
import { redactWerfArgs } from '../config/secrets.js';
import { errorMessage } from '../errors.js';
import type { ContainerSpec, Engine, RegistryAuth } from './port.js';

const short = (id: string): string => id.slice(0, 12);

/** What --verbose shows of a container spec: everything but environment values. */
function describeSpec(spec: ContainerSpec): string {
  const parts = [
    `image=${spec.image}`,
    `cmd=${JSON.stringify(redactWerfArgs(spec.cmd))}`,
    `user=${spec.user ?? '(image)'}`,
    `workdir=${spec.workingDir ?? '(image)'}`,
    `env names=[${spec.env.map((e) => e.split('=')[0]).join(',')}]`,
    `mounts=[${spec.mounts.map((m) => `${m.type}:${m.source}->${m.target}${m.readOnly ? ':ro' : ''}`).join(', ')}]`,
    `securityOpt=[${spec.securityOpt.join(',')}]`,
    `devices=[${spec.devices.join(',')}]`,
    `privileged=${spec.privileged}`,
    `network=${spec.networkMode ?? '(default)'}`,
    `tty=${spec.tty}`,
    ...(spec.ulimits?.length ? [`ulimits=[${spec.ulimits.map((u) => `${u.name}=${u.soft}:${u.hard}`).join(',')}]`] : []),
  ];
  return parts.join(' ');
}

type Describer = (...args: never[]) => string;

/** What each call shows of its arguments; calls not listed show only their name (no arguments, so no secrets). */
const DESCRIBE: Record<string, Describer> = {
  ping: (timeoutMs: number) => `GET /_ping (timeout ${timeoutMs} ms)`,
  info: () => 'GET /info + GET /version',
  inspectImage: (ref: string) => `GET /images/${ref}/json`,
  pullImage: (ref: string, auth: RegistryAuth | undefined) =>
    `POST /images/create?fromImage=${ref} ${auth ? `with credentials for ${auth.serveraddress}` : 'without credentials'}`,
  createContainer: (spec: ContainerSpec) => `POST /containers/create (${describeSpec(spec)})`,
  attachContainer: (id: string) => `POST /containers/${short(id)}/attach`,
  startContainer: (id: string) => `POST /containers/${short(id)}/start`,
  waitContainer: (id: string) => `POST /containers/${short(id)}/wait`,
  killContainer: (id: string, signal: string) => `POST /containers/${short(id)}/kill?signal=${signal}`,
  removeContainer: (id: string) => `DELETE /containers/${short(id)}?v=true&force=true`,
  listContainers: (labels: Record<string, string>) => `GET /containers/json (labels ${JSON.stringify(labels)})`,
  // Only the size: the archive may hold credentials.
  putArchive: (id: string, containerPath: string, tar: Buffer | NodeJS.ReadableStream) =>
    `PUT /containers/${short(id)}/archive?path=${containerPath} (${Buffer.isBuffer(tar) ? `${tar.length} bytes` : 'a stream'})`,
  containerMounts: (id: string) => `GET /containers/${short(id)}/json (its mounts)`,
  getArchive: (id: string, containerPath: string) => `GET /containers/${short(id)}/archive?path=${containerPath}`,
  statPath: (id: string, containerPath: string) => `HEAD /containers/${short(id)}/archive?path=${containerPath}`,
  volumeCreatedAt: (name: string) => `GET /volumes/${name}`,
  loadImage: () => 'POST /images/load (a stream)',
  tagImage: (id: string, reference: string) => `POST /images/${id.slice(0, 19)}/tag (${reference})`,
  untagImage: (reference: string) => `DELETE /images/${reference}?noprune=true`,
  resizeContainerTty: (id: string, size: { rows: number; columns: number }) =>
    `POST /containers/${short(id)}/resize (${size.columns}x${size.rows})`,
};

function outcome(name: string, value: unknown): string {
  if (name === 'createContainer' && typeof value === 'string') return `created ${short(value)}`;
  if (name === 'waitContainer') return `exit code ${String(value)}`;
  if (name === 'inspectImage') return value ? `present (${String((value as { id: string }).id).slice(0, 19)})` : 'not present';
  if (name === 'info' && value && typeof value === 'object') {
    const i = value as { product: string; serverVersion: string; apiVersion: string; kernelVersion: string; operatingSystem: string };
    return `${i.product} ${i.serverVersion}, API ${i.apiVersion}, kernel ${i.kernelVersion}, ${i.operatingSystem}`;
  }
  if (name === 'statPath') return value ? `${(value as { size: number }).size} bytes` : 'not there';
  if (Array.isArray(value)) return `${value.length} items`;
  return 'ok';
}

/**
 * Wraps every method of an Engine (including ones added to the port later)
 * so that each call is logged before it starts and when it ends.
 */
export function loggingEngine<E extends Engine>(inner: E, log: (message: string) => void): E {
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const describe = DESCRIBE[property] as ((...args: unknown[]) => string) | undefined;
      return async (...args: unknown[]) => {
        const what = describe ? describe(...args) : `${property}()`;
        const started = Date.now();
        log(`engine: ${what} on ${target.endpoint.url}`);
        try {
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          log(`engine: ${property} -> ${outcome(property, result)} (${Date.now() - started} ms)`);
          return result;
        } catch (error) {
          log(`engine: ${property} failed after ${Date.now() - started} ms: ${errorMessage(error)}`);
          throw error;
        }
      };
    },
  });
}
