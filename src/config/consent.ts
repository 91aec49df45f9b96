/**
 * The user's consent to a project's config file (config/trust.ts says what
 * needs it): werf-run's flag or variable, the user's own config file (in the
 * XDG config directory, outside the project), or a recorded trust of the
 * file's exact content (`werf-run trust`, its sha256 in the XDG state
 * directory; a changed file needs trusting again), as direnv's `allow` and
 * mise's `trust` do. Every input (environment, home, uid) is passed in.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError, errorMessage } from '../errors.js';
import { readIfExists, readTextIfExists } from '../files.js';
import { capText } from './quote.js';

/** The variable that consents for one run (as the flag does); the pipeline file that sets it is what reviewers read. */
export const TRUST_ENV = 'WERF_RUN_TRUST_PROJECT_CONFIG';
const TRUST_FLAG = '--trust-project-config';

export interface ConsentInput {
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  /** The caller's uid (undefined on Windows): the user's files must be theirs, not writable by others. */
  uid: number | undefined;
  /** --trust-project-config was given. */
  flag: boolean;
  /** The project's root: the user's own config never lies inside it. */
  projectRoot: string;
}

/** The user's own werf-run config: which projects they trust, which werf image mirrors they use. */
export interface UserConfig {
  /** true: every project; a list: projects (directories) or config files, absolute or ~/... */
  trustProjectConfig: boolean | string[];
  /** Repositories of werf's image (mirrors) a project may name without consent. */
  imageRepositories: string[];
}

const NO_USER_CONFIG: UserConfig = { trustProjectConfig: false, imageRepositories: [] };

/** $XDG_CONFIG_HOME/werf-run/config.json (default ~/.config). */
export function userConfigFile(env: ConsentInput['env'], home: string): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  return path.join(base, 'werf-run', 'config.json');
}

/** $XDG_STATE_HOME/werf-run/trusted-configs.json (default ~/.local/state). */
export function trustStoreFile(env: ConsentInput['env'], home: string): string {
  const base = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(home, '.local', 'state');
  return path.join(base, 'werf-run', 'trusted-configs.json');
}

/** The variable's value: consent, none, or a UsageError for a value that is neither. */
export function envConsent(env: ConsentInput['env']): boolean {
  const raw = env[TRUST_ENV];
  if (raw === undefined || /^(|0|false|no|off)$/i.test(raw)) return false;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  throw new UsageError(
    `${TRUST_ENV} is ${JSON.stringify(capText(raw))}; allowed: 1, true, yes, on (consent) or 0, false, no, off`,
    `set ${TRUST_ENV}=1 to consent to the project's config for this run, or unset it`,
  );
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The path with symbolic links resolved; a missing one as it is. */
export function realpathOr(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/** A file of the user's that decides trust must be theirs (or root's) and not writable by others. */
function assertOwnFile(file: string, uid: number | undefined): void {
  if (uid === undefined) return;
  const st = statSync(file);
  if ((st.uid !== uid && st.uid !== 0) || (st.mode & 0o022) !== 0) {
    throw new UsageError(
      `${file} decides which project configs werf-run trusts, but it is ${st.uid !== uid && st.uid !== 0 ? `owned by uid ${st.uid}, not you (uid ${uid})` : `writable by others (mode ${(st.mode & 0o777).toString(8)})`}`,
      `make it yours and writable only by you: chown ${uid} ${file} && chmod go-w ${file}`,
    );
  }
}

/** A ~/ path made absolute; a relative one is refused. */
function expandHome(entry: string, home: string, file: string): string {
  if (entry === '~' || entry.startsWith('~/')) return path.join(home, entry.slice(1));
  if (!path.isAbsolute(entry)) {
    throw new UsageError(
      `trustProjectConfig in ${file} has ${JSON.stringify(capText(entry))}, a relative path`,
      'write absolute paths (or ~/...) of the projects you trust',
    );
  }
  return entry;
}

/** Reads and checks the user's own config; no file is an empty one. */
export function readUserConfig(
  input: Pick<ConsentInput, 'env' | 'home' | 'uid' | 'projectRoot'>,
): UserConfig & { file: string; found: boolean } {
  const file = userConfigFile(input.env, input.home);
  const text = readTextIfExists(file);
  if (text === undefined) return { ...NO_USER_CONFIG, file, found: false };
  if (isInside(realpathOr(input.projectRoot), realpathOr(file))) {
    throw new UsageError(
      `werf-run's user config ${file} is inside the project ${input.projectRoot}, so the project could have written it`,
      'point XDG_CONFIG_HOME outside any repository (it defaults to ~/.config)',
    );
  }
  assertOwnFile(file, input.uid);
  let raw: unknown;
  try {
    raw = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `cannot parse ${file}: ${capText(errorMessage(error))}`,
      'fix the JSON syntax of your werf-run user config',
      error,
    );
  }
  const bad = (what: string): UsageError =>
    new UsageError(
      `invalid werf-run user config ${file}: ${what}`,
      'write { "trustProjectConfig": ["/path/of/a/project"], "imageRepositories": ["mirror.example/werf/werf"] } (docs/configuration.md)',
    );
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad('expected one object');
  const out: UserConfig = { trustProjectConfig: false, imageRepositories: [] };
  for (const [key, value] of Object.entries(raw)) {
    const isStrings = Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '');
    if (key === 'trustProjectConfig') {
      if (typeof value !== 'boolean' && !isStrings)
        throw bad(`trustProjectConfig is ${JSON.stringify(capText(JSON.stringify(value) ?? ''))}; expected true, false or a list of paths`);
      out.trustProjectConfig = typeof value === 'boolean' ? value : (value as string[]).map((entry) => expandHome(entry, input.home, file));
    } else if (key === 'imageRepositories') {
      if (!isStrings) throw bad('imageRepositories must be a list of image repositories');
      out.imageRepositories = value as string[];
    } else if (key !== '$schema' && key !== '$comment') {
      throw bad(`unknown key ${JSON.stringify(capText(key))}; allowed: trustProjectConfig, imageRepositories`);
    }
  }
  return { ...out, file, found: true };
}

export interface TrustRecord {
  sha256: string;
  at: string;
}

interface TrustStore {
  version: 1;
  files: Record<string, TrustRecord>;
}

/** The recorded trusts; a missing or unreadable store is empty (it only ever adds consent). */
export function readTrustStore(file: string, uid: number | undefined): TrustStore {
  const text = readTextIfExists(file);
  if (text === undefined) return { version: 1, files: {} };
  assertOwnFile(file, uid);
  try {
    const parsed = JSON.parse(text) as Partial<TrustStore>;
    if (parsed.version === 1 && parsed.files && typeof parsed.files === 'object') return { version: 1, files: parsed.files };
  } catch {
    // A broken store trusts nothing; `werf-run trust` writes a new one.
  }
  return { version: 1, files: {} };
}

function writeTrustStore(file: string, store: TrustStore): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(store, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Records the file's current content as trusted; returns its key (the real path) and record. */
export function recordTrust(store: string, file: string, uid: number | undefined, now: Date): { file: string; record: TrustRecord } {
  const bytes = readIfExists(file);
  if (bytes === undefined)
    throw new UsageError(
      `config file ${file} does not exist`,
      'name the project config file to trust (default: the one werf-run finds from here up to the git root)',
    );
  const key = realpathOr(file);
  const current = readTrustStore(store, uid);
  const record = { sha256: sha256(bytes), at: now.toISOString() };
  current.files[key] = record;
  writeTrustStore(store, current);
  return { file: key, record };
}

/** Removes the file's recorded trust; false when there was none. */
export function revokeTrust(store: string, file: string, uid: number | undefined): boolean {
  const current = readTrustStore(store, uid);
  const key = realpathOr(file);
  const existed = key in current.files || file in current.files;
  if (!existed) return false;
  delete current.files[key];
  delete current.files[file];
  writeTrustStore(store, current);
  return true;
}

/** Whether the file's content is what was trusted: 'match', 'changed' (trusted once, edited since), 'none'. */
export function trustState(record: TrustRecord | undefined, bytes: Buffer | undefined): 'match' | 'changed' | 'none' {
  if (!record) return 'none';
  return bytes !== undefined && sha256(bytes) === record.sha256 ? 'match' : 'changed';
}

/** The user's answer for one project file. */
interface ConsentAnswer {
  /** How the user consented; undefined: they did not. */
  by?: string;
  /** The file was trusted once but has changed since (then: when). */
  changedSince?: string;
}

/** The consent checker for one run: everything is read lazily, only when a file grants something or is code. */
export interface ProjectTrust {
  consent(file: string): ConsentAnswer;
  userConfig(): UserConfig & { file: string; found: boolean };
  /** The ways to consent, as a fix names them. */
  ways(file: string): string;
}

export function projectTrust(input: ConsentInput): ProjectTrust {
  let user: ReturnType<typeof readUserConfig> | undefined;
  const userConfig = (): ReturnType<typeof readUserConfig> => (user ??= readUserConfig(input));
  const store = trustStoreFile(input.env, input.home);
  return {
    userConfig,
    consent(file) {
      if (input.flag) return { by: TRUST_FLAG };
      if (envConsent(input.env)) return { by: `${TRUST_ENV}=${input.env[TRUST_ENV]}` };
      const config = userConfig();
      const real = realpathOr(file);
      const trusted = config.trustProjectConfig;
      if (trusted === true) return { by: `trustProjectConfig: true in ${config.file}` };
      if (Array.isArray(trusted)) {
        const entry = trusted.find((dir) => isInside(realpathOr(dir), real));
        if (entry) return { by: `trustProjectConfig "${entry}" in ${config.file}` };
      }
      const record = readTrustStore(store, input.uid).files[real];
      const state = trustState(record, readIfExists(file));
      if (state === 'match') return { by: `werf-run trust (recorded ${record!.at}, ${store})` };
      return state === 'changed' ? { changedSince: record!.at } : {};
    },
    ways(file) {
      return [
        `pass ${TRUST_FLAG} (or set ${TRUST_ENV}=1) for this run`,
        `run \`werf-run trust ${file}\` to trust this exact content`,
        `or list the project in "trustProjectConfig" of your own ${userConfigFile(input.env, input.home)}`,
      ].join(', ');
    },
  };
}
