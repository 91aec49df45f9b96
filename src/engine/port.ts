/**
 * The few Docker Engine calls werf-run makes, in werf-run's own types.
 * Only `dockerode.ts` implements this; everything else depends on this file, so
 * tests of pure code never need dockerode and the adapter stays swappable.
 */
import type { Readable, Writable } from 'node:stream';
import { WerfRunError } from '../errors.js';

/** Where the engine is and how it was found (for messages and the cache key). */
export interface Endpoint {
  /** unix:///path, tcp://host:port, ssh://user@host, npipe://... */
  url: string;
  /** Where the value came from, e.g. "DOCKER_HOST", "docker context \"ci\"", "default socket". */
  source: string;
  /** TLS material for tcp endpoints: file paths, read by the adapter. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string; verify: boolean };
}

/** Which engine answers the Docker API: the one type every floor names it by. */
export type EngineProduct = 'docker' | 'podman';

/** What /info tells about the daemon's host (not the client's). */
export interface EngineInfo {
  id: string;
  name: string;
  product: EngineProduct;
  serverVersion: string;
  apiVersion: string;
  kernelVersion: string;
  operatingSystem: string;
  osType: string;
  architecture: string;
  storageDriver: string;
  /** Raw entries, e.g. "name=seccomp,profile=default", "name=rootless". */
  securityOptions: string[];
  cgroupVersion: string;
  dockerRootDir: string;
  /**
   * Podman only: /libpod/info's host.security.rootless and the id maps it
   * gives containers (its Docker-compatible /info has no "rootless" entry).
   * Undefined for Docker, or when /libpod/info did not answer.
   */
  podman?: { rootless: boolean; uidmap: string; gidmap: string };
  /** /info RegistryConfig: docker.io mirrors (Mirrors) and the registries the daemon talks to without TLS checks (IndexConfigs Secure: false). */
  registry?: { mirrors: string[]; insecure: string[] };
}

export interface ImageDetails {
  id: string;
}

export interface MountSpec {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Host path (bind), volume name (volume); unused for tmpfs. */
  source: string;
  target: string;
  readOnly: boolean;
}

export interface UlimitSpec {
  name: string;
  soft: number;
  hard: number;
}

/** A container as werf-run wants it; the adapter maps it onto the API's shape. */
export interface ContainerSpec {
  /** A name for the container: only one container of a name can exist on an engine (create fails with ContainerNameInUseError). */
  name?: string;
  image: string;
  cmd: string[];
  env: string[];
  user?: string;
  workingDir?: string;
  labels: Record<string, string>;
  tty: boolean;
  openStdin: boolean;
  mounts: MountSpec[];
  securityOpt: string[];
  /** Host device paths, mapped at the same path with rwm. */
  devices: string[];
  privileged: boolean;
  networkMode?: string;
  usernsMode?: string;
  ulimits?: UlimitSpec[];
  /** Supplementary groups (numeric gids), e.g. the Docker socket's group. */
  groupAdd?: string[];
}

export interface AttachedStreams {
  /** The raw output: Docker's 8-byte-header multiplexed frames unless the container has a TTY. */
  output: Readable;
  multiplexed: boolean;
  /** Present when the container was created with openStdin. */
  input?: Writable;
}

export interface ContainerSummary {
  id: string;
  image: string;
  state: string;
  labels: Record<string, string>;
  created: number;
}

/** A layer-level progress event from a pull. */
export interface PullProgress {
  id?: string;
  status: string;
  current?: number;
  total?: number;
}

export interface RegistryAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

export interface Engine {
  readonly endpoint: Endpoint;
  ping(timeoutMs: number): Promise<void>;
  info(): Promise<EngineInfo>;
  inspectImage(ref: string): Promise<ImageDetails | undefined>;
  pullImage(ref: string, auth: RegistryAuth | undefined, onProgress: (event: PullProgress) => void): Promise<void>;
  createContainer(spec: ContainerSpec): Promise<string>;
  attachContainer(id: string, options: { tty: boolean; stdin: boolean }): Promise<AttachedStreams>;
  startContainer(id: string): Promise<void>;
  /** Resolves with the exit code once the container has stopped. */
  waitContainer(id: string): Promise<number>;
  killContainer(id: string, signal: string): Promise<void>;
  /** Force-removes, with its anonymous volumes; a container that is already gone is not an error. */
  removeContainer(id: string): Promise<void>;
  listContainers(labels: Record<string, string>): Promise<ContainerSummary[]>;
  resizeContainerTty(id: string, size: { rows: number; columns: number }): Promise<void>;
  /** The container's state, or undefined when it does not exist (any more). */
  inspectContainer(id: string): Promise<ContainerState | undefined>;
  /**
   * Extracts a tar archive into a container's filesystem at `containerPath`
   * (`PUT /containers/{id}/archive`); works on a created, not yet started
   * container. Owners and modes come from the tar headers.
   */
  putArchive(containerId: string, containerPath: string, tar: Buffer | NodeJS.ReadableStream): Promise<void>;
  /**
   * A tar of `containerPath` in a (created or stopped) container (`GET /containers/{id}/archive`), or undefined when it does not exist.
   * More than `maxBytes` (default ARCHIVE_LIMIT_BYTES): an error naming the path and the limit, nothing kept.
   */
  getArchive(containerId: string, containerPath: string, maxBytes?: number): Promise<Buffer | undefined>;
  /**
   * What `containerPath` is in a (created or stopped) container, without its
   * content (`HEAD /containers/{id}/archive`: the X-Docker-Container-Path-Stat
   * header), or undefined when it does not exist. Docker answers it without
   * the re-exec'd tar process that getArchive and putArchive cost.
   */
  statPath(containerId: string, containerPath: string): Promise<{ size: number; mode: number } | undefined>;
  /** The mounts of a container by id or name, or undefined when the engine has no such container. */
  containerMounts(idOrName: string): Promise<ContainerMount[] | undefined>;
  /** When a named volume was created (`GET /volumes/{name}`: CreatedAt as the engine writes it), or undefined when there is no such volume. */
  volumeCreatedAt(name: string): Promise<string | undefined>;
  /**
   * Loads a docker-archive tar into the engine (`POST /images/load`); resolves
   * with the engine's "Loaded image: ..." lines. An error in the answer's
   * stream (a truncated or refused archive) rejects, naming it.
   */
  loadImage(tar: NodeJS.ReadableStream, onProgress: (event: PullProgress) => void): Promise<string[]>;
  /** Adds a name (`repo:tag`) to an image (`POST /images/{id}/tag`). */
  tagImage(id: string, reference: string): Promise<void>;
  /** Removes one name of an image (`DELETE /images/{ref}?noprune`); the image itself stays while another name or container holds it; a missing name is not an error. */
  untagImage(reference: string): Promise<void>;
}

/** A mount of an existing container, as the engine reports it (source on the daemon's host). */
export interface ContainerMount {
  type: string;
  source: string;
  destination: string;
}

export interface ContainerState {
  running: boolean;
  exitCode: number;
}

/** Creating a container under a name another container has (HTTP 409): the other one holds what the name stands for. */
export class ContainerNameInUseError extends WerfRunError {
  constructor(
    readonly containerName: string,
    detail: string,
  ) {
    super(`a container named ${containerName} exists already: ${detail}`);
    this.name = 'ContainerNameInUseError';
  }
}

/** getArchive's default limit: werf-run reads small files (passwd, group, a volume's generation) this way. */
export const ARCHIVE_LIMIT_BYTES = 16 << 20;
