/** Making sure the werf image is on the engine, following the pull policy. */
import { WerfRunError } from '../errors.js';
import type { Engine, RegistryAuth } from '../engine/port.js';
import type { Reporter } from '../cli/reporter.js';

export type PullPolicy = 'missing' | 'always' | 'never';

export async function ensureImage(
  engine: Engine,
  ref: string,
  policy: PullPolicy,
  auth: RegistryAuth | undefined,
  reporter: Reporter,
): Promise<void> {
  if (policy !== 'always') {
    const present = await engine.inspectImage(ref);
    if (present) {
      reporter.debug(`image ${ref} is present (${present.id.slice(0, 19)})`);
      return;
    }
    if (policy === 'never') {
      throw new WerfRunError(`image ${ref} is not on the engine at ${engine.endpoint.url} and the pull policy is "never"`, {
        remedy: `pull it (docker pull ${ref}) or use --pull missing`,
      });
    }
  }
  reporter.step(`pulling ${ref}`);
  const layers = new Map<string, { current: number; total: number }>();
  let lastReport = 0;
  await engine.pullImage(ref, auth, (event) => {
    if (event.id && event.total) layers.set(event.id, { current: event.current ?? 0, total: event.total });
    const now = Date.now();
    if (now - lastReport > 2000 && layers.size > 0) {
      lastReport = now;
      let current = 0;
      let total = 0;
      for (const layer of layers.values()) {
        current += layer.current;
        total += layer.total;
      }
      reporter.info(`pulling ${ref}: ${layers.size} layers, ${(current / 1e6).toFixed(1)}/${(total / 1e6).toFixed(1)} MB`);
    }
  });
  reporter.debug(`pulled ${ref}`);
}
