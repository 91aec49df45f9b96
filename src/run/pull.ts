/** Making sure the werf image is on the engine, following the pull policy. */
import { WerfRunError, errorMessage } from '../errors.js';
import type { Engine, ImageDetails, RegistryAuth } from '../engine/port.js';
import type { Reporter } from '../reporter.js';
import { registryHost } from '../plan/reference.js';
import { classifyPullError, pullRemedy } from './pull-errors.js';
import { PullTracker } from './pull-progress.js';

export type PullPolicy = 'missing' | 'always' | 'never';

/** Credentials for the pull, resolved only when a pull really happens (helpers may prompt or be slow). */
export type AuthProvider = () => Promise<{ auth: RegistryAuth | undefined; source: string }>;

export async function ensureImage(
  engine: Engine,
  ref: string,
  policy: PullPolicy,
  /** Where the policy was set and how to make it "missing" there (config's settingSource), for the fix. */
  policySource: { name: string; change: string },
  getAuth: AuthProvider,
  reporter: Reporter,
  /** The engine's answer to inspectImage(ref), when the caller asked already (alongside other requests). */
  lookup?: Promise<ImageDetails | undefined>,
): Promise<void> {
  if (policy !== 'always') {
    const present = await (lookup ?? engine.inspectImage(ref));
    if (present) {
      reporter.debug(`image ${ref} is present (${present.id.slice(0, 19)})`);
      return;
    }
    if (policy === 'never') {
      throw new WerfRunError(
        `image ${ref} is not on the engine at ${engine.endpoint.url} and the pull policy is "never" (${policySource.name})`,
        {
          remedy: `pull it (docker pull ${ref}) or ${policySource.change}`,
        },
      );
    }
  }
  const { auth, source } = await getAuth();
  // Only where the credentials came from: never the credentials themselves.
  reporter.debug(`registry auth for ${registryHost(ref)}: ${auth ? `from ${source}` : source}`);
  reporter.step(`pulling ${ref}${policy === 'always' ? ' (pull policy "always")' : ''}`);
  const tracker = new PullTracker();
  let shown = '';
  try {
    await engine.pullImage(ref, auth, (event) => {
      if (!tracker.add(event)) return;
      // Many events (extraction, checksums) change nothing a user sees: redraw only on a change.
      const text = `pulling ${ref}: ${tracker.summary()}`;
      if (text !== shown) reporter.progress((shown = text));
    });
  } catch (error) {
    const message = errorMessage(error);
    const kind = classifyPullError(message);
    throw new WerfRunError(message, {
      remedy: pullRemedy(kind, { reference: ref, registry: registryHost(ref), authSource: auth ? source : undefined }),
      cause: error,
    });
  }
  reporter.info(`pulled ${ref} (${tracker.summary()})`);
}
