/**
 * The one mapping from a path on this machine (the host werf-run runs on) to
 * the path werf sees in its Linux container. Every place a host path meets
 * the container goes through it: the mount targets, the working directory,
 * the git dirs, the parent chain the project check enters, werf's arguments
 * and variables. Pure.
 *
 * POSIX hosts (Linux, macOS, WSL2): the identity. The checkout is mounted at
 * its own path, so werf's per-path git cache (werf pkg/git_repo/local.go keys
 * it on the project's path) stays distinct per project and absolute paths in
 * werf's arguments stay valid.
 *
 * Windows: `C:\Users\me\proj` is mounted at `/c/Users/me/proj` (the drive
 * letter in lower case, as Git Bash and Docker's own docs spell it), with the
 * Windows path kept as the bind source: Docker Desktop takes `C:\...` as a
 * bind source (docs.docker.com, get-started bind mounts, the PowerShell form
 * `--mount "type=bind,src=$pwd,target=/src"`). The same checkout always gets
 * the same target, two checkouts never share one. A UNC share
 * `\\server\share\dir` becomes `/unc/server/share/dir` (whether the engine
 * can bind it decides bind or ship); device paths (`\\.\...`) are refused.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';

export type HostOs = 'posix' | 'win32';

/** The kind of paths this machine's platform uses (the platform comes from the CLI context, never read here). */
export function hostOsOf(platform: string): HostOs {
  return platform === 'win32' ? 'win32' : 'posix';
}

export interface HostPaths {
  os: HostOs;
  /** Node's path functions for this host's paths (path.win32 or path.posix, whatever the machine running the tests is). */
  path: path.PlatformPath;
  /** One spelling of an absolute host path: resolved, and on Windows with `\` separators, an upper-case drive letter and `\\?\` undone (git prints `C:/x`, the walk `C:\x`). */
  normalize(hostPath: string): string;
  /** Where the host path appears in the werf container. */
  inContainer(hostPath: string): string;
  /** Whether `child` is `parent` or below it (host paths; on Windows case-insensitively, as the filesystem is). */
  isInside(parent: string, child: string): boolean;
  /** Whether a word is an absolute host path (on Windows a drive path, `\\server\share\...` or `\\?\...`; `/...` elsewhere). */
  isAbsolute(word: string): boolean;
}

/** Only a real `..` segment leads out: a directory named `..dots` is inside. */
function inside(p: path.PlatformPath, parent: string, child: string): boolean {
  const relative = p.relative(parent, child);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${p.sep}`) && !p.isAbsolute(relative));
}

const POSIX: HostPaths = {
  os: 'posix',
  path: path.posix,
  normalize: (hostPath) => path.posix.resolve(hostPath),
  inContainer: (hostPath) => path.posix.resolve(hostPath),
  isInside: (parent, child) => inside(path.posix, path.posix.resolve(parent), path.posix.resolve(child)),
  isAbsolute: (word) => path.posix.isAbsolute(word),
};

const DRIVE = /^([A-Za-z]):[\\/]/;
const UNC = /^[\\/]{2}(?![?.][\\/])[^\\/]+[\\/][^\\/]+/;

function windowsNormalize(hostPath: string): string {
  let p = hostPath;
  // The long-path prefix: \\?\C:\x is C:\x, \\?\UNC\srv\share\x is \\srv\share\x.
  if (/^[\\/]{2}\?[\\/]UNC[\\/]/i.test(p)) p = `\\\\${p.slice(8)}`;
  else if (/^[\\/]{2}\?[\\/][A-Za-z]:/.test(p)) p = p.slice(4);
  if (/^[\\/]{2}[.?][\\/]/.test(p)) {
    throw new UsageError(
      `${hostPath} is a Windows device path, which cannot be mounted into the werf container`,
      'run werf-run from the checkout on a drive (C:\\...) or a share (\\\\server\\share\\...)',
    );
  }
  if (!DRIVE.test(p) && !UNC.test(p)) {
    throw new UsageError(
      `${hostPath} is not an absolute Windows path (a drive path C:\\... or a share \\\\server\\share\\...)`,
      'run werf-run from the checkout itself, or give an absolute path',
    );
  }
  const resolved = path.win32.resolve(p);
  return DRIVE.test(resolved) ? `${resolved[0]!.toUpperCase()}${resolved.slice(1)}` : resolved;
}

const WINDOWS: HostPaths = {
  os: 'win32',
  path: path.win32,
  normalize: windowsNormalize,
  inContainer(hostPath) {
    const p = windowsNormalize(hostPath);
    const drive = DRIVE.exec(p);
    const rest = p
      .slice(2)
      .split('\\')
      .filter((part) => part !== '');
    return path.posix.join('/', ...(drive ? [drive[1]!.toLowerCase()] : ['unc']), ...rest);
  },
  // path.win32.relative compares case-insensitively, as NTFS does by default.
  isInside: (parent, child) => inside(path.win32, windowsNormalize(parent), windowsNormalize(child)),
  // A share only in its backslash spelling: a word like //cdn.example.com/app in werf's arguments is a URL more often than a share.
  isAbsolute: (word) => DRIVE.test(word) || /^\\\\(?![.?]\\)[^\\/]+\\[^\\/]+/.test(word) || /^\\\\\?\\/.test(word),
};

export function hostPaths(os: HostOs): HostPaths {
  return os === 'win32' ? WINDOWS : POSIX;
}

/**
 * Where werf works in the container: the caller's directory when it is in
 * the project, else the project's root. On Windows the caller's directory
 * may differ from the root's spelling in case only (`c:\users\me\proj\sub`
 * vs `C:\Users\me\proj`): the root's spelling is kept, so one checkout has
 * one container path.
 */
export function workdirInContainer(hp: HostPaths, root: string, cwd: string): string {
  if (!hp.isInside(root, cwd)) return hp.inContainer(root);
  const relative = hp.path.relative(hp.normalize(root), hp.normalize(cwd));
  return relative === '' ? hp.inContainer(root) : path.posix.join(hp.inContainer(root), ...relative.split(hp.path.sep));
}

/**
 * werf's arguments and WERF_* values with absolute host paths turned into
 * the container's (identity on POSIX): `--dir C:\proj\sub` and
 * `--config=C:\proj\werf.yaml` name the mounted checkout. A word that is not
 * an absolute host path is left as it is.
 */
export function argInContainer(hp: HostPaths, word: string): string {
  if (hp.os === 'posix') return word;
  if (hp.isAbsolute(word)) return safeInContainer(hp, word);
  const option = /^(--?[A-Za-z0-9][\w-]*=)(.+)$/.exec(word);
  return option && hp.isAbsolute(option[2]!) ? `${option[1]}${safeInContainer(hp, option[2]!)}` : word;
}

/** A word that cannot be mapped (a device path) is passed as it is: werf reports it, as it would on the host. */
function safeInContainer(hp: HostPaths, word: string): string {
  try {
    return hp.inContainer(word);
  } catch {
    return word;
  }
}
