/**
 * A `user` the werf image does not have. The engine checks it against the
 * image's own /etc/passwd and /etc/group when it starts the container (runc:
 * "unable to find user X: no matching entries in passwd file"), before werf
 * runs and before anything else is created, so that answer is exact and free;
 * reading the image's passwd in the probe would cost a container on every
 * cold start and miss cached runs. Pure: the engine's message in, the config
 * error out (exit 2, the key named), or undefined when it is another failure.
 */
import { UsageError, errorMessage } from '../errors.js';

const MISSING = /unable to find (user|group) ([^:\s]+): no matching entries in (passwd|group) file/;

export function unknownUserError(error: unknown, user: string | undefined, keyName: string, image: string): UsageError | undefined {
  if (user === undefined) return undefined;
  const match = MISSING.exec(errorMessage(error));
  if (!match) return undefined;
  const [, kind, name, file] = match;
  return new UsageError(
    `${keyName} is "${user}": the werf image ${image} has no ${kind} "${name}" (not in its /etc/${file})`,
    `set ${keyName} to a user of the image's /etc/passwd, by name or uid (build, uid 1000; build1001, uid 1001, for GitHub Actions), or leave it unset`,
    error,
  );
}
