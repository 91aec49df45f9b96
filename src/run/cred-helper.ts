/**
 * Running a docker credential helper the way the docker CLI does:
 * `docker-credential-<name> get`, the server address on stdin, JSON on stdout.
 * A helper that fails is an error naming it and its stderr, never ignored.
 */
import { WerfRunError } from '../errors.js';
import type { HelperRunner } from './auth.js';

const NOT_FOUND = /credentials not found|not found in (native )?keychain|no credentials/i;

export const runCredentialHelper: HelperRunner = async (helper, serverAddress, source) => {
  const program = `docker-credential-${helper}`;
  // Loaded here, not at start-up: execa costs about 70 ms to import and most runs need no helper.
  const { execa } = await import('execa');
  const result = await execa(program, ['get'], { input: serverAddress, reject: false, timeout: 60_000, encoding: 'utf8' });
  const stdout = String(result.stdout ?? '').trim();
  const stderr = String(result.stderr ?? '').trim();
  // execa reports a program that could not be spawned with the spawn error's code.
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new WerfRunError(`the credential helper ${program} (named by ${source}) is not on PATH`, {
      remedy: `install ${program}, or remove "${helper}" from ${source.replace(/^.* in /, '')}`,
    });
  }
  if (result.exitCode !== 0) {
    // Helpers print "credentials not found in native keychain" on stdout for an unknown registry.
    if (NOT_FOUND.test(stdout) || NOT_FOUND.test(stderr)) return 'not-found';
    const why = result.timedOut ? 'timed out after 60 s' : `exited with ${result.exitCode ?? result.signal}`;
    // stdout of a failing helper is its error text; it holds no secret (a helper only prints secrets on success).
    const output = [stderr, stdout].filter(Boolean).join(' / ') || '(no output)';
    throw new WerfRunError(`the credential helper ${program} (named by ${source}) ${why} for ${serverAddress}: ${output}`, {
      remedy: `fix the helper (try: echo ${serverAddress} | ${program} get), log in again, or remove it from ${source.replace(/^.* in /, '')}`,
    });
  }
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(stdout) as typeof parsed;
  } catch {
    throw new WerfRunError(`the credential helper ${program} (named by ${source}) printed something that is not JSON for ${serverAddress}`, {
      remedy: `check the helper: echo ${serverAddress} | ${program} get`,
    });
  }
  if (typeof parsed.Secret !== 'string' || !parsed.Secret) return 'not-found';
  return { username: typeof parsed.Username === 'string' ? parsed.Username : '', secret: parsed.Secret };
};
