/**
 * werf's image contract (ghcr.io/werf/werf): who werf runs as and where its
 * state lives. The rig's stand-in image honours the same contract.
 */
export const PROJECT_DIR = '/workspace';

export interface ImageUser {
  /** Value for the container's User field. */
  user: string;
  home: string;
}

/** `build` (uid 1000) by default; `build1001` for runners that need uid 1001 (GitHub Actions). */
export function imageUser(user: string | undefined): ImageUser {
  if (user === undefined || user === 'build' || user === '1000') return { user: 'build', home: '/home/build' };
  if (user === 'build1001' || user === '1001') return { user: 'build1001', home: '/home/build1001' };
  return { user, home: user === 'root' || user === '0' ? '/root' : `/home/${user}` };
}

export const storageDir = (home: string): string => `${home}/.local/share/containers`;
export const werfHomeDir = (home: string): string => `${home}/.werf`;
