/**
 * How werf-run's own messages should look where it runs (pure): the CI
 * system's collapsible group for the preparation, and whether to use colour.
 */
import { ciKind } from '../config/ci.js';

export interface CiGroup {
  /** The line that opens a collapsed group titled `title`. */
  open(title: string): string;
  /** The line that closes it. */
  close(): string;
}

/** GitHub Actions' workflow commands (parsed from the job's output, stdout or stderr). */
const githubGroup: CiGroup = {
  open: (title) => `::group::${title}`,
  close: () => '::endgroup::',
};

/**
 * GitLab CI's section markers. GitLab requires the ESC[0K erase sequences in
 * them: they are the only control sequences werf-run prints in CI, and only
 * when GITLAB_CI is set.
 */
function gitlabGroup(now: () => number = () => Date.now()): CiGroup {
  const name = 'werf_run_prepare';
  return {
    open: (title) => `\x1b[0Ksection_start:${Math.floor(now() / 1000)}:${name}[collapsed=true]\r\x1b[0K${title}`,
    close: () => `\x1b[0Ksection_end:${Math.floor(now() / 1000)}:${name}\r\x1b[0K`,
  };
}

export function ciGroupFor(env: Readonly<Record<string, string | undefined>>, now?: () => number): CiGroup | undefined {
  const { vendor } = ciKind(env);
  if (vendor === 'github') return githubGroup;
  if (vendor === 'gitlab') return gitlabGroup(now);
  return undefined;
}

/** NO_COLOR (any non-empty value) turns colour off; FORCE_COLOR turns it on (0 or false: off); else only on a terminal. */
export function useColor(env: Readonly<Record<string, string | undefined>>, isTTY: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !(force === '0' || force === 'false');
  if (env.NO_COLOR) return false;
  return isTTY && env.TERM !== 'dumb';
}
