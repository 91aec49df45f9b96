/**
 * The one file that imports dockerode: it maps werf-run's Engine port onto the
 * Docker Engine API and turns the library's errors into WerfRunErrors.
 */
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { createRequire } from 'node:module';
import { Readable, Writable } from 'node:stream';
import Modem from 'docker-modem';
import Docker from 'dockerode';
import type DockerT from 'dockerode';
import { UsageError, WerfRunError, errorMessage } from '../errors.js';
import { connectionTarget } from './docker-host.js';
import type {
  AttachedStreams,
  ContainerMount,
  ContainerSpec,
  ContainerState,
  ContainerSummary,
  Endpoint,
  Engine,
  EngineInfo,
  ImageDetails,
  PullProgress,
  RegistryAuth,
} from './port.js';
import { ARCHIVE_LIMIT_BYTES, ContainerNameInUseError } from './port.js';
import { collectBounded, describeLimit } from './bounded.js';
import { parseSshUrl, type SshTarget } from './ssh-endpoint.js';
import type { SshHttpAgent } from './ssh-tunnel.js';

/*
 * dockerode requires gRPC (BuildKit sessions) and docker-modem requires ssh2
 * (its own ssh) at load time; werf-run uses neither. The bundle
 * (scripts/build.js) replaces both by a stub, so they are neither loaded nor
 * installed.
 */

/** dockerode rejects with errors carrying the HTTP status and the engine's JSON body. */
interface ApiError {
  statusCode?: number;
  json?: { message?: string } | null;
  reason?: string;
  code?: string;
  message: string;
}

/** The engine's reason for a failed call; never empty (a bare 404 or an errno-only error still says something). */
function apiMessage(error: unknown): string {
  const e = error as ApiError;
  // docker-modem's message reads "(HTTP code 500) server error - <engine's message>".
  const text =
    e?.json?.message ||
    errorMessage(error)
      .replace(/^\(HTTP code \d+\) [^-]*- /, '')
      .trim();
  if (text) return text;
  if (e?.statusCode) return `HTTP ${e.statusCode}${e.reason ? ` (${e.reason})` : ''} without a message`;
  return e?.code ?? `${error instanceof Error ? error.name : typeof error} without a message`;
}

/** What a Docker Engine (and Podman's compatible API) answers to GET /_ping. */
function isPingAnswer(body: unknown): boolean {
  return (Buffer.isBuffer(body) || typeof body === 'string') && String(body).trim() === 'OK';
}

/** An endpoint that speaks HTTP but answers as no Docker Engine does (pure). */
function notAnEngine(what: string, answer: unknown): string {
  const shown = Buffer.isBuffer(answer) || typeof answer === 'string' ? String(answer) : JSON.stringify(answer);
  return `it answers HTTP, but not as a Docker Engine API: ${what} ${shown === undefined ? 'nothing' : JSON.stringify(shown.slice(0, 80))}`;
}

function statusOf(error: unknown): number | undefined {
  return (error as ApiError)?.statusCode;
}

/** node:https (and TLS with it), and node:http, load only for an endpoint that uses them. */
const nodeRequire = createRequire(import.meta.url);

/*
 * A unix socket takes no agent: in the CLI's bundle its requests do not go
 * through node:http at all (unix-http.ts), and elsewhere Node's global agent
 * keeps the connection alive.
 */

/** The ssh:// transport's agent (below): a class of node:http's Agent, made when the first ssh endpoint is. */
interface LazySshAgent extends http.Agent {
  destroy(): void;
}
let LazySshAgentClass: (new (target: SshTarget) => LazySshAgent) | undefined;

/**
 * The ssh:// transport (ssh-tunnel.ts), loaded on the first connection: a
 * chunk of its own in the bundle, which runs on other endpoints never load.
 */
function lazySshAgent(target: SshTarget): LazySshAgent {
  LazySshAgentClass ??= class extends (nodeRequire('node:http') as typeof http).Agent {
    private real: Promise<SshHttpAgent> | undefined;
    private destroyed = false;

    constructor(sshTarget: SshTarget) {
      super();
      this.createConnection = ((options: unknown, callback: (error: Error | null, socket?: unknown) => void) => {
        this.real ??= import('./ssh-tunnel.js').then((m) => new m.SshHttpAgent(sshTarget, m.localSshFacts()));
        this.real.then(
          (agent) => {
            if (this.destroyed) callback(new WerfRunError('the ssh connection was closed'));
            else (agent.createConnection as unknown as (o: unknown, cb: typeof callback) => void)(options, callback);
          },
          (error: Error) => callback(error),
        );
        return undefined;
      }) as unknown as typeof this.createConnection;
    }

    override destroy(): void {
      super.destroy();
      this.destroyed = true;
      void this.real?.then((agent) => agent.destroy());
    }
  };
  return new LazySshAgentClass(target);
}

/**
 * Every field docker-modem's constructor sets (docker-modem 5.0.7
 * lib/modem.js `Modem = function (options)`); dockerode.test.ts checks this
 * list against the real constructor, so an upgrade that adds one fails there.
 */
export const MODEM_FIELDS = [
  'host',
  'socketPath',
  'port',
  'pathPrefix',
  'username',
  'password',
  'version',
  'key',
  'cert',
  'ca',
  'timeout',
  'connectionTimeout',
  'checkServerIdentity',
  'agent',
  'headers',
  'sshOptions',
  'protocol',
] as const;
type ModemFields = Record<(typeof MODEM_FIELDS)[number], unknown>;

/**
 * The engine client's connection settings: werf-run's endpoint, and nothing
 * else. docker-modem's constructor starts from defaults it reads from
 * process.env (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH,
 * DOCKER_CLIENT_TIMEOUT, DOCKER_PATH_PREFIX, SSH_AUTH_SOCK: `defaultOpts` in
 * lib/modem.js) and lays the options over them, so a DOCKER_HOST=tcp://...
 * left in the environment beat a unix socket werf-run chose (its `host` wins
 * over `socketPath`), and DOCKER_CERT_PATH made it read certificate files.
 * So the modem is made without its constructor, every field set here.
 */
export function modemFields(endpoint: Endpoint): ModemFields & { basePath: string } {
  const tls = endpoint.tls;
  const target = connectionTarget(endpoint.url, tls !== undefined);
  const readTls = (file: string | undefined): Buffer | undefined => {
    if (!file) return undefined;
    try {
      return readFileSync(file);
    } catch (error) {
      throw new WerfRunError(`cannot read the TLS file ${file}: ${errorMessage(error)}`, { cause: error });
    }
  };
  const none: ModemFields = Object.fromEntries(MODEM_FIELDS.map((f) => [f, undefined])) as ModemFields;
  const base = { ...none, headers: {}, sshOptions: {}, protocol: 'http', basePath: '' };
  // The docker CLI reads its default context's TLS files even for a socket or ssh, which take no TLS, and fails without ca.pem.
  if (tls && target.kind !== 'tcp') [tls.caFile, tls.certFile, tls.keyFile].forEach(readTls);
  switch (target.kind) {
    case 'socket':
      // A unix socket (relative paths stay relative, as for docker) or a named pipe (//./pipe/name).
      return { ...base, socketPath: target.path };
    case 'tcp':
      return {
        ...base,
        host: target.host,
        port: target.port,
        protocol: tls ? 'https' : 'http',
        basePath: target.basePath,
        ca: readTls(tls?.caFile),
        cert: readTls(tls?.certFile),
        key: readTls(tls?.keyFile),
        // DOCKER_TLS without DOCKER_TLS_VERIFY, or a context with SkipTLSVerify: encrypt, do not verify.
        agent:
          tls && !tls.verify
            ? new (nodeRequire('node:https') as typeof import('node:https')).Agent({ rejectUnauthorized: false })
            : undefined,
      };
    case 'ssh': {
      // Not docker-modem's own ssh (ssh2, which reads neither ~/.ssh/config nor
      // known_hosts): the system ssh, as the docker CLI runs it (ssh-tunnel.ts).
      const sshTarget = parseSshUrl(target.url);
      return { ...base, host: sshTarget.host, port: sshTarget.port, agent: lazySshAgent(sshTarget) };
    }
  }
}

/** A docker-modem Modem with exactly these fields (its constructor, which reads process.env, never runs). */
function fencedModem(fields: ModemFields & { basePath: string }): Modem {
  const { basePath, ...own } = fields;
  const modem = Object.assign(Object.create(Modem.prototype) as Modem, own);
  if (basePath) {
    // A tcp://host:port/path endpoint: the API lives under /path (moby's client keeps the URL's path as its base path).
    const dial = Modem.prototype.dial;
    modem.dial = function (options, callback) {
      return dial.call(this, { ...options, path: `${basePath}${options.path}` }, callback);
    };
  }
  return modem;
}

interface IdMapping {
  container_id?: number;
  host_id?: number;
  size?: number;
}

/** "0:1002:1 1:2000000:65536" (container:host:size), for evidence in messages. */
function formatIdMap(map: IdMapping[] | undefined): string {
  return (map ?? []).map((m) => `${m.container_id ?? '?'}:${m.host_id ?? '?'}:${m.size ?? '?'}`).join(' ');
}

/** /info RegistryConfig: Mirrors, and IndexConfigs entries with Secure false (the docker.io entry lists the same mirrors). */
function registryConfig(raw: unknown): { mirrors: string[]; insecure: string[] } {
  const config = (raw && typeof raw === 'object' ? raw : {}) as {
    Mirrors?: unknown;
    IndexConfigs?: Record<string, { Name?: string; Secure?: boolean }>;
  };
  const mirrors = Array.isArray(config.Mirrors) ? config.Mirrors.map(String) : [];
  const insecure = Object.values(config.IndexConfigs ?? {}).flatMap((index) => (index.Secure === false && index.Name ? [index.Name] : []));
  return { mirrors, insecure };
}

function securityOptions(raw: unknown): string[] {
  return Array.isArray(raw) ? raw.map(String) : [];
}

/** One event of the Engine's JSON-lines progress answer (image pull, image load). */
interface ProgressEvent {
  id?: string;
  status?: string;
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
  progressDetail?: { current?: number; total?: number };
}

/** Each event of a JSON-lines progress answer, in order; a line that is not JSON is skipped. */
async function eachProgressEvent(stream: NodeJS.ReadableStream, handle: (event: ProgressEvent) => void): Promise<void> {
  const take = (line: string): void => {
    let event: ProgressEvent;
    try {
      event = JSON.parse(line) as ProgressEvent;
    } catch {
      return;
    }
    handle(event);
  };
  let pending = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    pending += chunk.toString('utf8');
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) take(line);
    }
  }
  if (pending.trim()) take(pending.trim());
}

export class DockerodeEngine implements Engine {
  private readonly docker: DockerT;
  /** The ssh:// connection, if any: closed when the engine does not answer (a pending handshake would keep werf-run alive). */
  private readonly ssh: LazySshAgent | undefined;

  /**
   * /info and /version, asked alongside the ping (see ping()); info() takes
   * this answer once, later calls ask again.
   */
  private asked: Promise<[Record<string, unknown>, Record<string, unknown>]> | undefined;
  private pinged = false;

  constructor(readonly endpoint: Endpoint) {
    const fields = modemFields(endpoint);
    this.ssh = LazySshAgentClass && fields.agent instanceof LazySshAgentClass ? fields.agent : undefined;
    this.docker = new Docker({ modem: fencedModem(fields) } as DockerT.DockerOptions);
  }

  private fail(action: string, error: unknown, remedy?: string): WerfRunError {
    return new WerfRunError(`${action} on ${this.endpoint.url} failed: ${apiMessage(error)}`, { remedy, cause: error });
  }

  async ping(timeoutMs: number): Promise<void> {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // Raced, not only passed as abortSignal: a request still waiting for its
    // connection (an ssh handshake that never ends) ignores the signal.
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new WerfRunError(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    // The first ping is the connection's: its caller asks for /info next. Sent
    // with it, /info and /version cost no round trip of their own (the daemon
    // answers them at once). Not over ssh, where the first request opens the
    // master connection; not with later pings (is the engine still there?).
    // When the ping fails they are aborted and their answers dropped.
    if (!this.pinged && !this.ssh) {
      this.asked = this.askInfo(abort.signal);
      this.asked.catch(() => undefined);
    }
    this.pinged = true;
    let body: unknown;
    try {
      body = await Promise.race([
        (this.docker.ping as (opts: { abortSignal: AbortSignal }) => Promise<unknown>)({ abortSignal: abort.signal }),
        timeout,
      ]);
    } catch (error) {
      const timedOut = abort.signal.aborted;
      // The /info and /version asked alongside go too.
      this.asked = undefined;
      abort.abort();
      this.ssh?.destroy();
      if (timedOut) throw new WerfRunError(`no answer within ${timeoutMs} ms`, { cause: error });
      const status = statusOf(error);
      // A web server, a registry, a proxy: HTTP, but no Docker API behind it.
      if (status === 404) throw new WerfRunError(notAnEngine('GET /_ping got', `HTTP ${status}`), { cause: error });
      if (status !== undefined) throw new WerfRunError(`GET /_ping answered HTTP ${status}: ${apiMessage(error)}`, { cause: error });
      throw new WerfRunError(apiMessage(error), { cause: error });
    } finally {
      clearTimeout(timer);
    }
    if (!isPingAnswer(body)) {
      this.asked = undefined;
      abort.abort();
      throw new WerfRunError(notAnEngine('GET /_ping got', body));
    }
  }

  private askInfo(abortSignal?: AbortSignal): Promise<[Record<string, unknown>, Record<string, unknown>]> {
    type Ask = (opts: { abortSignal?: AbortSignal }) => Promise<Record<string, unknown>>;
    return Promise.all([(this.docker.info as Ask)({ abortSignal }), (this.docker.version as unknown as Ask)({ abortSignal })]);
  }

  async info(): Promise<EngineInfo> {
    let raw: Record<string, unknown>;
    let version: Record<string, unknown>;
    try {
      const asked = this.asked ?? this.askInfo();
      this.asked = undefined;
      [raw, version] = await asked;
    } catch (error) {
      throw this.fail('asking the engine for /info', error);
    }
    if (!raw || typeof raw !== 'object' || typeof raw.ID !== 'string' || !version || typeof version !== 'object') {
      throw new WerfRunError(`asking the engine for /info on ${this.endpoint.url} failed: ${notAnEngine('GET /info got', raw)}`, {
        remedy: 'point werf-run at a Docker Engine or Podman API (check with docker -H <endpoint> info)',
      });
    }
    const components = Array.isArray(version.Components) ? (version.Components as { Name?: string }[]) : [];
    // Podman's Docker-compatible API names itself in /version's components and
    // keeps its storage under .../containers/storage.
    const isPodman = components.some((c) => /podman/i.test(c.Name ?? '')) || /containers\/storage/.test(String(raw.DockerRootDir ?? ''));
    return {
      id: String(raw.ID ?? ''),
      name: String(raw.Name ?? ''),
      product: isPodman ? 'podman' : 'docker',
      serverVersion: String(raw.ServerVersion ?? version.Version ?? ''),
      apiVersion: String(version.ApiVersion ?? ''),
      kernelVersion: String(raw.KernelVersion ?? ''),
      operatingSystem: String(raw.OperatingSystem ?? ''),
      osType: String(raw.OSType ?? ''),
      architecture: String(raw.Architecture ?? ''),
      storageDriver: String(raw.Driver ?? ''),
      securityOptions: securityOptions(raw.SecurityOptions),
      cgroupVersion: String(raw.CgroupVersion ?? ''),
      dockerRootDir: String(raw.DockerRootDir ?? ''),
      registry: registryConfig(raw.RegistryConfig),
      ...(isPodman ? await this.podmanInfo(components) : {}),
    };
  }

  /** Podman's own /libpod/info (rootlessness, id maps); the compat /info lacks them. Undefined when it does not answer. */
  private async podmanInfo(components: { Name?: string; Details?: { APIVersion?: string } }[]): Promise<Pick<EngineInfo, 'podman'>> {
    const api = components.find((c) => /podman/i.test(c.Name ?? ''))?.Details?.APIVersion ?? '4.0.0';
    try {
      const raw = (await new Promise<unknown>((resolve, reject) => {
        // Versioned: Podman 4 answers /libpod/info only under /v<api>/.
        this.docker.modem.dial(
          { path: `/v${api}/libpod/info`, method: 'GET', statusCodes: { 200: true }, options: {} },
          (error: unknown, data: unknown) => (error ? reject(error) : resolve(data)),
        );
      })) as { host?: { security?: { rootless?: boolean }; idMappings?: { uidmap?: IdMapping[]; gidmap?: IdMapping[] } } };
      const maps = raw.host?.idMappings;
      return {
        podman: { rootless: raw.host?.security?.rootless === true, uidmap: formatIdMap(maps?.uidmap), gidmap: formatIdMap(maps?.gidmap) },
      };
    } catch {
      return {};
    }
  }

  async inspectImage(ref: string): Promise<ImageDetails | undefined> {
    try {
      const raw = await this.docker.getImage(ref).inspect();
      return { id: raw.Id };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.fail(`inspecting image ${ref}`, error);
    }
  }

  async loadImage(tar: NodeJS.ReadableStream, onProgress: (event: PullProgress) => void): Promise<string[]> {
    let stream: NodeJS.ReadableStream;
    try {
      // quiet=false: the answer is the JSON progress stream, where a refusal arrives as {"error": ...}.
      stream = (await this.docker.loadImage(tar, { quiet: false } as never)) as unknown as NodeJS.ReadableStream;
    } catch (error) {
      throw this.fail('loading an image', error);
    }
    const loaded: string[] = [];
    await eachProgressEvent(stream, (event) => {
      const failure = event.errorDetail?.message ?? event.error;
      if (failure) throw new WerfRunError(`loading an image on ${this.endpoint.url} failed: ${failure}`);
      const text = (event.stream ?? '').trim();
      if (text.startsWith('Loaded image')) loaded.push(text);
      if (event.status)
        onProgress({
          status: event.status,
          ...(event.id ? { id: event.id } : {}),
          ...(event.progressDetail?.current === undefined ? {} : { current: event.progressDetail.current }),
          ...(event.progressDetail?.total === undefined ? {} : { total: event.progressDetail.total }),
        });
    });
    return loaded;
  }

  async tagImage(id: string, reference: string): Promise<void> {
    const colon = reference.lastIndexOf(':');
    const [repo, tag] =
      colon > reference.lastIndexOf('/') ? [reference.slice(0, colon), reference.slice(colon + 1)] : [reference, 'latest'];
    try {
      await this.docker.getImage(id).tag({ repo, tag });
    } catch (error) {
      throw this.fail(`tagging image ${id.slice(0, 19)} as ${reference}`, error);
    }
  }

  async untagImage(reference: string): Promise<void> {
    try {
      await this.docker.getImage(reference).remove({ noprune: true });
    } catch (error) {
      if (statusOf(error) === 404) return;
      throw this.fail(`removing the name ${reference}`, error);
    }
  }

  async pullImage(ref: string, auth: RegistryAuth | undefined, onProgress: (event: PullProgress) => void): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.pull(ref, auth ? { authconfig: auth } : {});
    } catch (error) {
      throw this.fail(`pulling ${ref}`, error);
    }
    // Not modem.followProgress: it ignores errors sent inside the stream
    // (unauthorized, manifest unknown, rate limits) and reports success.
    await eachProgressEvent(stream, (event) => this.pullEvent(ref, event, onProgress));
  }

  private pullEvent(ref: string, event: ProgressEvent, onProgress: (event: PullProgress) => void): void {
    const error = event.errorDetail?.message ?? event.error;
    if (error) throw new WerfRunError(`pulling ${ref} failed: ${error}`);
    onProgress({
      id: event.id,
      status: event.status ?? '',
      current: event.progressDetail?.current,
      total: event.progressDetail?.total,
    });
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    try {
      // _query and _body (docker-modem's dial): else the whole spec goes into the query string as well as the body.
      const container: DockerT.Container = await this.docker.createContainer({
        _query: spec.name === undefined ? {} : { name: spec.name },
        _body: this.containerBody(spec),
      } as unknown as DockerT.ContainerCreateOptions);
      return container.id;
    } catch (error) {
      this.rejectNetwork(error, spec.networkMode);
      if (spec.name !== undefined && statusOf(error) === 409) throw new ContainerNameInUseError(spec.name, apiMessage(error));
      if (statusOf(error) === 404) {
        throw new WerfRunError(`image ${spec.image} is not on the engine at ${this.endpoint.url}`, {
          remedy: `pull it first (docker pull ${spec.image}) or use the pull policy "missing"`,
          cause: error,
        });
      }
      throw this.fail('creating the werf container', error);
    }
  }

  /** The body of POST /containers/create. */
  private containerBody(spec: ContainerSpec): DockerT.ContainerCreateOptions {
    return {
      Image: spec.image,
      Cmd: spec.cmd,
      Env: spec.env,
      User: spec.user,
      WorkingDir: spec.workingDir,
      Labels: spec.labels,
      Tty: spec.tty,
      OpenStdin: spec.openStdin,
      StdinOnce: spec.openStdin,
      AttachStdin: spec.openStdin,
      AttachStdout: true,
      AttachStderr: true,
      HostConfig: {
        // The API takes no Source for tmpfs; an empty one is ignored.
        Mounts: spec.mounts.map((m) => ({
          Type: m.type,
          Source: m.type === 'tmpfs' ? '' : m.source,
          Target: m.target,
          ReadOnly: m.readOnly,
        })),
        SecurityOpt: spec.securityOpt,
        Devices: spec.devices.map((d) => ({ PathOnHost: d, PathInContainer: d, CgroupPermissions: 'rwm' })),
        Privileged: spec.privileged,
        NetworkMode: spec.networkMode,
        UsernsMode: spec.usernsMode,
        Ulimits: spec.ulimits?.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
        GroupAdd: spec.groupAdd,
      },
    };
  }

  async attachContainer(id: string, options: { tty: boolean; stdin: boolean }): Promise<AttachedStreams> {
    try {
      const stream = (await this.docker.getContainer(id).attach({
        stream: true,
        stdout: true,
        stderr: true,
        stdin: options.stdin,
        hijack: options.stdin,
      })) as unknown as Readable & Partial<Writable>;
      return {
        output: stream,
        multiplexed: !options.tty,
        input: options.stdin ? (stream as unknown as Writable) : undefined,
      };
    } catch (error) {
      throw this.fail(`attaching to container ${id.slice(0, 12)}`, error);
    }
  }

  /** A network the engine does not have is the user's setting (network / --network): exit 2 with the fix. */
  private rejectNetwork(error: unknown, network: string | undefined): void {
    const missing = /network (\S+) not found/.exec(apiMessage(error));
    if (!missing) return;
    throw new UsageError(
      `the network ${missing[1]}${network ? ` (network / --network = ${network})` : ''} does not exist on the engine at ${this.endpoint.url}`,
      'set network (config, WERF_RUN_NETWORK or --network) to one that exists (docker network ls), e.g. host, or unset it',
      error,
    );
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (error) {
      this.rejectNetwork(error, undefined);
      // Podman without explicit ulimits on a host whose hard limits are lower than its defaults.
      if (/error setting rlimit/.test(apiMessage(error))) {
        throw this.fail(
          'starting the werf container',
          error,
          'the engine asks for more than the hard ulimits allow; werf-run sets lower ones when it detects Podman: check that /version names "Podman Engine", or raise the hard limits of the engine service (LimitNOFILE/LimitNPROC)',
        );
      }
      throw this.fail('starting the werf container', error);
    }
  }

  async waitContainer(id: string): Promise<number> {
    try {
      const result = (await this.docker.getContainer(id).wait({ condition: 'not-running' })) as { StatusCode: number };
      return result.StatusCode;
    } catch (error) {
      throw this.fail(`waiting for container ${id.slice(0, 12)}`, error);
    }
  }

  async killContainer(id: string, signal: string): Promise<void> {
    try {
      await this.docker.getContainer(id).kill({ signal });
    } catch (error) {
      // 404: gone already; 409: not running any more. Both mean there is nothing to stop.
      if (statusOf(error) === 404 || statusOf(error) === 409) return;
      throw this.fail(`sending ${signal} to container ${id.slice(0, 12)}`, error);
    }
  }

  async removeContainer(id: string): Promise<void> {
    try {
      // v: the container's anonymous volumes go with it (the image's VOLUMEs werf-run
      // mounts nothing over), as with `docker run --rm`; named volumes are never touched.
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (error) {
      if (statusOf(error) === 404 || (statusOf(error) === 409 && /already in progress/.test(apiMessage(error)))) return;
      throw this.fail(`removing container ${id.slice(0, 12)}`, error);
    }
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerSummary[]> {
    try {
      const list = await this.docker.listContainers({
        all: true,
        filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) },
      });
      return list.map((c) => ({ id: c.Id, image: c.Image, state: c.State, labels: c.Labels ?? {}, created: c.Created }));
    } catch (error) {
      throw this.fail('listing containers', error);
    }
  }

  async resizeContainerTty(id: string, size: { rows: number; columns: number }): Promise<void> {
    try {
      await this.docker.getContainer(id).resize({ h: size.rows, w: size.columns });
    } catch (error) {
      if (statusOf(error) === 404 || statusOf(error) === 409) return;
      throw this.fail('resizing the TTY', error);
    }
  }

  async putArchive(containerId: string, containerPath: string, tar: Buffer | NodeJS.ReadableStream): Promise<void> {
    try {
      await this.docker.getContainer(containerId).putArchive(tar, { path: containerPath });
    } catch (error) {
      throw this.fail(`copying files into container ${containerId.slice(0, 12)} at ${containerPath}`, error);
    }
  }

  async getArchive(containerId: string, containerPath: string, maxBytes = ARCHIVE_LIMIT_BYTES): Promise<Buffer | undefined> {
    try {
      const stream = (await this.docker.getContainer(containerId).getArchive({ path: containerPath })) as unknown as AsyncIterable<Buffer>;
      return await collectBounded(stream, maxBytes, () => archiveTooBig(containerId, containerPath, maxBytes));
    } catch (error) {
      if (error instanceof WerfRunError) throw error;
      if (statusOf(error) === 404) return undefined;
      throw this.fail(`reading ${containerPath} from container ${containerId.slice(0, 12)}`, error);
    }
  }

  async statPath(containerId: string, containerPath: string): Promise<{ size: number; mode: number } | undefined> {
    try {
      const res = (await this.docker.getContainer(containerId).infoArchive({ path: containerPath })) as {
        headers: Record<string, string | undefined>;
        resume?: () => void;
      };
      res.resume?.();
      const header = res.headers['x-docker-container-path-stat'];
      if (!header) return undefined;
      const stat = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as { size?: unknown; mode?: unknown };
      return typeof stat.size === 'number' && typeof stat.mode === 'number' ? { size: stat.size, mode: stat.mode } : undefined;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.fail(`looking up ${containerPath} in container ${containerId.slice(0, 12)}`, error);
    }
  }

  async volumeCreatedAt(name: string): Promise<string | undefined> {
    try {
      const raw = (await this.docker.getVolume(name).inspect()) as { CreatedAt?: string; Name?: string };
      // Podman and old engines may leave it out: the volume is there, its age unknown.
      return raw.CreatedAt ?? '';
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.fail(`inspecting volume ${name}`, error);
    }
  }

  async containerMounts(idOrName: string): Promise<ContainerMount[] | undefined> {
    try {
      const raw = await this.docker.getContainer(idOrName).inspect();
      return (raw.Mounts ?? []).map((m) => ({
        type: String(m.Type ?? ''),
        source: String(m.Source ?? ''),
        destination: String(m.Destination ?? ''),
      }));
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.fail(`inspecting container ${idOrName.slice(0, 12)}`, error);
    }
  }

  async inspectContainer(id: string): Promise<ContainerState | undefined> {
    try {
      const raw = await this.docker.getContainer(id).inspect();
      return { running: Boolean(raw.State?.Running), exitCode: raw.State?.ExitCode ?? 0 };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.fail(`inspecting container ${id.slice(0, 12)}`, error);
    }
  }
}

/** More than werf-run reads from a container's path: the path, the limit and what to look at. */
export function archiveTooBig(containerId: string, containerPath: string, maxBytes: number): WerfRunError {
  return new WerfRunError(
    `reading ${containerPath} from container ${containerId.slice(0, 12)}: the engine sent more than ${describeLimit(maxBytes)}, werf-run's limit for it`,
    {
      remedy: `check what the image or volume holds at ${containerPath} (werf-run reads only small files there), and that DOCKER_HOST names the engine you expect`,
    },
  );
}
