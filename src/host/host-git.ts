/**
 * git on the host, trusting exactly the repository it finds, never every
 * repository (`-c safe.directory=*` would switch git's ownership check off for
 * the whole command, CVE-2022-24765). git runs first with its own check; when
 * it refuses a repository as "dubious ownership", that path is trusted on the
 * command line (protected config, git >= 2.35.2) only after werf-run checked
 * its owner: the current user, or any owner when werf-run runs as root (a CI
 * runner as root with the checkout by the runner's user). Anything else exits
 * 2 naming the path, its owner and the fix, which is the user's to choose.
 */
import { fsp } from '../files.js';
import { UsageError } from '../errors.js';

/** The repository path in git's refusal: "detected dubious ownership in repository at 'P'" (git >= 2.36) or "unsafe repository ('P' is owned by someone else)" (2.35.2). */
export function dubiousPath(stderr: string): string | undefined {
  return (
    /detected dubious ownership in repository at '(.+)'/.exec(stderr)?.[1] ??
    /unsafe repository \('(.+)' is owned by someone else\)/.exec(stderr)?.[1]
  );
}

/** May werf-run trust a repository owned by `owner` for the user `uid`? Unknown either (Windows): no, git's own check stands. */
export function mayTrustOwner(owner: number | undefined, uid: number | undefined): boolean {
  return uid !== undefined && owner !== undefined && (owner === uid || uid === 0);
}

function foreignRepositoryError(dir: string, owner: number | undefined, uid: number | undefined): UsageError {
  const whose = owner === undefined ? 'another user (git says so)' : `uid ${owner}`;
  const me = uid === undefined ? 'the current user' : `uid ${uid}`;
  return new UsageError(
    `the git repository ${dir} is owned by ${whose}, not by ${me} who runs werf-run: git does not trust it, and werf-run does not trust it for you`,
    `if you trust it, tell git once: git config --global --add safe.directory ${dir}; or make it yours: chown -R ${uid ?? '$(id -u)'} ${dir}`,
  );
}

async function ownerOf(dir: string): Promise<number | undefined> {
  // Windows reports uid 0 for every file: there git's own check (by SID) is the only one, and a refusal is the user's to lift.
  return process.platform === 'win32' ? undefined : (await fsp.stat(dir).catch(() => undefined))?.uid;
}

/** Is `dir` owned by the current user (or does werf-run run as root)? */
export async function ownerTrusted(dir: string, uid: number | undefined = process.getuid?.()): Promise<boolean> {
  return mayTrustOwner(await ownerOf(dir), uid);
}

/** Throws the exit-2 error unless `dir` is owned by the current user (or werf-run runs as root). */
async function checkRepositoryOwner(dir: string, uid: number | undefined = process.getuid?.()): Promise<void> {
  const owner = await ownerOf(dir);
  if (!mayTrustOwner(owner, uid)) throw foreignRepositoryError(dir, owner, uid);
}

export interface HostGitResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

export interface HostGitOptions {
  cwd: string;
  maxBuffer?: number;
  uid?: number | undefined;
}

/** The trust arguments for the paths werf-run checked: one `-c safe.directory=PATH` each, never `*`. */
export function safeDirectoryArgs(trusted: readonly string[]): string[] {
  return trusted.flatMap((dir) => ['-c', `safe.directory=${dir}`]);
}

/**
 * Runs git; on a "dubious ownership" refusal checks the named path's owner
 * (throws the exit-2 error for a foreign one) and runs again trusting exactly
 * it. A worktree's checkout and its git dir are checked one by one (at most 4).
 */
export async function hostGit(args: readonly string[], options: HostGitOptions): Promise<HostGitResult> {
  const { execFile } = await import('node:child_process');
  const uid = 'uid' in options ? options.uid : process.getuid?.();
  const trusted: string[] = [];
  for (;;) {
    const result = await new Promise<HostGitResult>((resolve) => {
      execFile(
        'git',
        [...safeDirectoryArgs(trusted), ...args],
        { cwd: options.cwd, encoding: 'utf8', maxBuffer: options.maxBuffer ?? 1 << 20 },
        (error, stdout, stderr) => resolve({ ok: !error, stdout: String(stdout), stderr: String(stderr) }),
      );
    });
    const dubious = result.ok ? undefined : dubiousPath(result.stderr);
    if (dubious === undefined || trusted.includes(dubious) || trusted.length >= 4) return result;
    await checkRepositoryOwner(dubious, uid);
    trusted.push(dubious);
  }
}
