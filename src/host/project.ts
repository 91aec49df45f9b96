/**
 * Where the project is: the git root of the working directory, as werf sees
 * it, and the git dirs beyond it. git itself answers, except for the common
 * case it would answer the same for without being started: an ordinary
 * checkout (a `.git` directory with nothing that redirects it) and no
 * variable in the environment that steers git's discovery (GIT_DIR,
 * GIT_WORK_TREE, GIT_CEILING_DIRECTORIES and friends: STEERING).
 */
import { createHash } from 'node:crypto';
import { fsp } from '../files.js';
import path from 'node:path';
import { gitDirsToMount } from '../plan/paths.js';
import { hostPaths, type HostPaths } from '../plan/host-path.js';
import { pickMarkerFiles, type ProjectMarker } from '../plan/project-view.js';
import { hostGit, ownerTrusted } from './host-git.js';

export interface ProjectLocation {
  root: string;
  isGit: boolean;
  /** Git directories outside the root that werf needs too (worktrees' common dir, submodules' `.git/modules/NAME`). */
  gitDirs: string[];
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The variables that change where git finds the repository or which config
 * it reads (git(1), ENVIRONMENT VARIABLES: "The Git Repository", and the
 * GIT_CONFIG_* family of git-config(1)); with one of them set, git answers.
 * Others (GIT_SSL_CAINFO, GIT_ASKPASS, GitLab's GIT_STRATEGY and GIT_DEPTH)
 * leave discovery alone, and a CI job nearly always has some of them.
 */
const STEERING =
  /^GIT_(DIR|WORK_TREE|COMMON_DIR|CEILING_DIRECTORIES|DISCOVERY_ACROSS_FILESYSTEM|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|INDEX_FILE|NAMESPACE|DEFAULT_HASH|DEFAULT_REF_FORMAT|IMPLICIT_WORK_TREE|PREFIX|CONFIG|CONFIG_.+)$/;

/** Does the environment steer git's discovery (then the walk below is not git's answer)? */
export function steersGitDiscovery(env: Env): boolean {
  return Object.keys(env).some((name) => STEERING.test(name) && env[name] !== undefined);
}

/**
 * `uid` is the user werf-run runs as (injected by tests): a repository owned
 * by someone else is the project only when werf-run runs as root (host-git.ts),
 * as git itself would refuse it; else exit 2 naming the path, its owner and the fix.
 */
export async function findProjectRoot(
  cwd: string,
  env: Env = process.env,
  hp: HostPaths = hostPaths('posix'),
  uid: number | undefined = process.getuid?.(),
): Promise<ProjectLocation> {
  const walked = steersGitDiscovery(env) ? undefined : await plainCheckoutRoot(cwd);
  if (walked === 'none') return { root: hp.normalize(cwd), isGit: false, gitDirs: [] };
  // git checks the work tree and its git dir (setup.c, ensure_valid_ownership): so does the walk, without starting git.
  // Someone else's (or no uid: Windows): git decides, with the user's own safe.directory entries (askGit, host-git.ts).
  const owned = walked && uid !== undefined && (await ownerTrusted(walked, uid)) && (await ownerTrusted(path.join(walked, '.git'), uid));
  if (walked && owned) return { root: hp.normalize(walked), isGit: true, gitDirs: [] };
  return askGit(cwd, hp, uid);
}

/**
 * Asks git itself, with its ownership check on: a repository it refuses is
 * trusted by exact path once its owner passed werf-run's check (host-git.ts),
 * so a checkout owned by another uid with werf-run as root (a CI runner) is
 * still the project, not an error that would shrink it to the current directory.
 */
export async function askGit(
  cwd: string,
  hp: HostPaths = hostPaths('posix'),
  uid: number | undefined = process.getuid?.(),
): Promise<ProjectLocation> {
  const answer = await hostGit(['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-dir', '--git-common-dir'], { cwd, uid });
  const [root, gitDir, commonDir] = (answer.ok ? answer.stdout : '').split('\n');
  if (!root || !gitDir || !commonDir) return { root: hp.normalize(cwd), isGit: false, gitDirs: [] };
  // git for Windows prints C:/x, in the case the directory was typed: the real path's case
  // (the walk's, realpath) and one spelling (plan/host-path.ts) give one container path per checkout.
  const [realRoot, realGitDir, realCommonDir] = await Promise.all([root, gitDir, commonDir].map((p) => fsp.realpath(p).catch(() => p)));
  return { root: hp.normalize(realRoot!), isGit: true, gitDirs: gitDirsToMount(hp.normalize(realRoot!), realGitDir!, realCommonDir!, hp) };
}

async function statOf(file: string) {
  return fsp.stat(file).catch(() => undefined);
}

/**
 * git's discovery walked by hand, for the case where its answer is plain: the
 * nearest directory up from the real path of `cwd` with a `.git` directory
 * that is its own git dir and common dir (no `commondir` file, no
 * core.worktree, not bare, no includes) is the root, with no git dir beyond
 * it; no `.git` anywhere up is no project. Anything git might see otherwise
 * (a `.git` file of a worktree or submodule, a directory that is itself a git
 * dir, a filesystem boundary, cwd inside a `.git`) returns undefined: ask git.
 */
async function plainCheckoutRoot(cwd: string): Promise<string | 'none' | undefined> {
  const real = await fsp.realpath(cwd).catch(() => undefined);
  if (!real || real.split(path.sep).includes('.git')) return undefined;
  const device = (await statOf(real))?.dev;
  if (device === undefined) return undefined;
  for (let current = real; ; current = path.dirname(current)) {
    const here = await statOf(current);
    if (here?.dev !== device) return undefined;
    const dotGit = await statOf(path.join(current, '.git'));
    if (dotGit) return dotGit.isDirectory() && (await isPlainGitDir(path.join(current, '.git'))) ? current : undefined;
    // A directory that is itself a git dir (a bare repository): git stops there.
    if (await statOf(path.join(current, 'HEAD'))) return undefined;
    if (path.dirname(current) === current) return 'none';
  }
}

async function isPlainGitDir(gitDir: string): Promise<boolean> {
  if (!(await statOf(path.join(gitDir, 'HEAD'))) || (await statOf(path.join(gitDir, 'commondir')))) return false;
  const config = await fsp.readText(path.join(gitDir, 'config')).catch(() => undefined);
  if (config === undefined) return false;
  return !/^\s*(worktree\s*=|bare\s*=\s*true|\[include)/im.test(config);
}

/**
 * What tells this checkout apart from another at the same path on the
 * engine's host: git's HEAD and the sha256 of a few small files at the root
 * (read here; project-view.ts asks the engine's side for the same).
 */
export async function readProjectMarker(root: string, isGit: boolean, env: Env = process.env): Promise<ProjectMarker> {
  // HEAD from an ordinary checkout's files, else git (its process runs while the files are read).
  const head = !isGit
    ? Promise.resolve('none')
    : steersGitDiscovery(env)
      ? gitHead(root)
      : headFromFiles(root).then((found) => found ?? gitHead(root));
  head.catch(() => undefined);
  const entries = await fsp.readdirEntries(root).catch(() => []);
  const sized = await Promise.all(
    entries.map(async (e) => ({
      name: e.name,
      isFile: e.isFile(),
      size: e.isFile() ? ((await fsp.stat(path.join(root, e.name)).catch(() => undefined))?.size ?? 0) : 0,
    })),
  );
  const files: ProjectMarker['files'] = [];
  for (const name of pickMarkerFiles(sized)) {
    const content = await fsp.readFile(path.join(root, name)).catch(() => undefined);
    if (content) files.push({ name, sha256: createHash('sha256').update(content).digest('hex') });
  }
  return { root, files, head: await head };
}

const COMMIT = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/**
 * HEAD's commit read from the files of an ordinary checkout, as git answers
 * it (gitrepository-layout(5)): HEAD holds a commit or `ref: refs/...`, the
 * ref is a file under .git or a line of packed-refs. Undefined when anything
 * is not that plain (a `.git` file of a worktree or submodule, reftable, a
 * branch with no commit yet): then git answers. Saves starting git on a run.
 */
export async function headFromFiles(root: string): Promise<string | undefined> {
  const gitDir = path.join(root, '.git');
  const read = (name: string): Promise<string | undefined> =>
    fsp.readText(path.join(gitDir, name)).then(
      (t) => t.trim(),
      () => undefined,
    );
  const head = await read('HEAD');
  if (head === undefined) return undefined;
  if (COMMIT.test(head)) return head;
  const ref = /^ref: (refs\/[^\s]+)$/.exec(head)?.[1];
  if (!ref || ref.split('/').includes('..')) return undefined;
  const loose = await read(ref);
  if (loose !== undefined) return COMMIT.test(loose) ? loose : undefined;
  for (const line of ((await read('packed-refs')) ?? '').split('\n')) {
    const [commit, name] = line.split(' ');
    if (name === ref && commit && COMMIT.test(commit)) return commit;
  }
  return undefined;
}

/** git's HEAD commit, or 'none' (no commit yet, or git failed). */
async function gitHead(root: string): Promise<string> {
  const answer = await hostGit(['rev-parse', '-q', '--verify', 'HEAD'], { cwd: root });
  return answer.ok ? answer.stdout.trim() || 'none' : 'none';
}
