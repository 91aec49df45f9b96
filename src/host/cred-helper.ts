/**
 * Running a docker credential helper the way the docker CLI does:
 * `docker-credential-<name> get` with the server address on stdin, JSON on
 * stdout; `docker-credential-<name> list`, JSON {serverURL: username}.
 * A helper that fails is an error naming it and its stderr, never ignored.
 */
import { WerfRunError } from '../errors.js';
import type { HelperRunner } from './auth.js';
import type { HelperLister } from './handover-auth.js';

const NOT_FOUND = /credentials not found|not found in (native )?keychain|no credentials/i;

const configOf = (source: string): string => source.replace(/^.* in /, '');

async function spawnHelper(helper: string, action: 'get' | 'list', input: string, source: string, what: string) {
  const program = `docker-credential-${helper}`;
  // Loaded here, not at start-up: execa costs about 70 ms to import and most runs need no helper.
  const { execa } = await import('execa');
  const result = await execa(program, [action], { input, reject: false, timeout: 60_000, encoding: 'utf8' });
  const stdout = String(result.stdout ?? '').trim();
  const stderr = String(result.stderr ?? '').trim();
  // execa reports a program that could not be spawned with the spawn error's code.
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new WerfRunError(`the credential helper ${program} (named by ${source}) is not on PATH`, {
      remedy: `install ${program}, or remove "${helper}" from ${configOf(source)}`,
    });
  }
  if (result.exitCode !== 0 && !(action === 'get' && (NOT_FOUND.test(stdout) || NOT_FOUND.test(stderr)))) {
    const why = result.timedOut ? 'timed out after 60 s' : `exited with ${result.exitCode ?? result.signal}`;
    // stdout of a failing helper is its error text; it holds no secret (a helper only prints secrets on success).
    const output = [stderr, stdout].filter(Boolean).join(' / ') || '(no output)';
    throw new WerfRunError(`the credential helper ${program} (named by ${source}) ${why} for ${what}: ${output}`, {
      remedy: `fix the helper (try: ${action === 'get' ? `echo ${input} | ` : ''}${program} ${action}), log in again, or remove it from ${configOf(source)}`,
    });
  }
  return { program, stdout, ok: result.exitCode === 0 };
}

function parseJson(stdout: string, program: string, source: string, what: string, action: string): unknown {
  try {
    return JSON.parse(stdout) as unknown;
  } catch {
    // Never quote the output: a helper's answer may hold a secret.
    throw new WerfRunError(`the credential helper ${program} (named by ${source}) printed something that is not JSON for ${what}`, {
      remedy: `check the helper: ${program} ${action}`,
    });
  }
}

/** One answer per helper and registry for the whole run: the pull and the hand-over to werf ask the same questions. */
const answers = new Map<string, ReturnType<HelperRunner>>();

export const runCredentialHelper: HelperRunner = (helper, serverAddress, source) => {
  const key = `${helper}\n${serverAddress}`;
  let answer = answers.get(key);
  if (!answer) {
    answer = askHelper(helper, serverAddress, source);
    answers.set(key, answer);
  }
  return answer;
};

const askHelper: HelperRunner = async (helper, serverAddress, source) => {
  const { program, stdout, ok } = await spawnHelper(helper, 'get', serverAddress, source, serverAddress);
  // Helpers print "credentials not found in native keychain" for an unknown registry.
  if (!ok) return 'not-found';
  const parsed = parseJson(stdout, program, source, serverAddress, 'get') as { Username?: unknown; Secret?: unknown } | null;
  if (!parsed || typeof parsed.Secret !== 'string' || !parsed.Secret) return 'not-found';
  return { username: typeof parsed.Username === 'string' ? parsed.Username : '', secret: parsed.Secret };
};

export const listCredentialHelper: HelperLister = async (helper, source) => {
  const { program, stdout } = await spawnHelper(helper, 'list', '', source, 'list');
  const parsed = parseJson(stdout || '{}', program, source, 'list', 'list');
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? Object.keys(parsed) : [];
};
