/**
 * Every container werf-run creates (the werf container, detection probes, any
 * later kind) goes through one Engine; wrapping that Engine here makes cleanup
 * structural instead of a duty each creator must remember:
 *  - each created container carries the owner labels (managed, host, PID,
 *    process start), so a later run can tell an orphan from a live owner's;
 *  - each is registered until removed, so the signal handler and every exit
 *    path can remove what is still there;
 *  - once the registry is closed (interrupted), a container whose create was
 *    already in flight is removed as soon as it exists.
 */
import { WerfRunError } from '../errors.js';
import type { ContainerSpec, Engine } from '../engine/port.js';
import { MANAGED_LABEL } from '../plan/plan.js';
import { ownerLabels, type Owner } from './orphans.js';

export class LiveContainers {
  private readonly ids = new Set<string>();
  /** Containers whose failed removal the user was already told about (said once, whoever retries). */
  private readonly reported = new Set<string>();
  private closedBy: string | undefined;

  list(): string[] {
    return [...this.ids];
  }

  get closed(): boolean {
    return this.closedBy !== undefined;
  }

  add(id: string): void {
    this.ids.add(id);
  }

  delete(id: string): void {
    this.ids.delete(id);
  }

  /** No new container may live after this; `why` ends up in the error of a late create. */
  close(why: string): void {
    this.closedBy ??= why;
  }

  get closeReason(): string | undefined {
    return this.closedBy;
  }

  /** The user was told that removing `id` failed: later failures to remove it are not reported again. */
  markReported(id: string): void {
    this.reported.add(id);
  }

  /** Force-removes every container still registered; reports each failure once instead of throwing. */
  async removeAll(engine: Pick<Engine, 'removeContainer'>, onError: (id: string, error: unknown) => void = () => undefined): Promise<void> {
    await Promise.all(
      this.list().map(async (id) => {
        try {
          await engine.removeContainer(id);
          this.ids.delete(id);
        } catch (error) {
          if (this.reported.has(id)) return;
          this.reported.add(id);
          onError(id, error);
        }
      }),
    );
  }
}

/** The Engine, with every created container labelled with its owner and tracked in `live`. */
export function trackingEngine(engine: Engine, live: LiveContainers, owner: Owner): Engine {
  // Read at each create: the owner learns its own container once the engine answers (cli/lifecycle.ts).
  const labels = (): Record<string, string> => ({ [MANAGED_LABEL]: 'true', ...ownerLabels(owner) });
  return {
    endpoint: engine.endpoint,
    ping: (timeoutMs) => engine.ping(timeoutMs),
    info: () => engine.info(),
    inspectImage: (ref) => engine.inspectImage(ref),
    pullImage: (ref, auth, onProgress) => engine.pullImage(ref, auth, onProgress),
    async createContainer(spec: ContainerSpec): Promise<string> {
      if (live.closed) throw new WerfRunError(`not creating a container: ${live.closeReason}`);
      const id = await engine.createContainer({ ...spec, labels: { ...spec.labels, ...labels() } });
      live.add(id);
      if (live.closed) {
        await engine.removeContainer(id).then(
          () => live.delete(id),
          () => undefined,
        );
        throw new WerfRunError(`not running the container: ${live.closeReason}`);
      }
      return id;
    },
    attachContainer: (id, options) => engine.attachContainer(id, options),
    startContainer: (id) => engine.startContainer(id),
    waitContainer: (id) => engine.waitContainer(id),
    killContainer: (id, signal) => engine.killContainer(id, signal),
    async removeContainer(id: string): Promise<void> {
      await engine.removeContainer(id);
      live.delete(id);
    },
    listContainers: (filter) => engine.listContainers(filter),
    resizeContainerTty: (id, size) => engine.resizeContainerTty(id, size),
    inspectContainer: (id) => engine.inspectContainer(id),
    putArchive: (id, containerPath, tar) => engine.putArchive(id, containerPath, tar),
    getArchive: (id, containerPath, maxBytes) => engine.getArchive(id, containerPath, maxBytes),
    statPath: (id, containerPath) => engine.statPath(id, containerPath),
    containerMounts: (id) => engine.containerMounts(id),
    volumeCreatedAt: (name) => engine.volumeCreatedAt(name),
    loadImage: (tar, onProgress) => engine.loadImage(tar, onProgress),
    tagImage: (id, reference) => engine.tagImage(id, reference),
    untagImage: (reference) => engine.untagImage(reference),
  };
}
