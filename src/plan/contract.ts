/**
 * werf's image contract (ghcr.io/werf/werf): who werf runs as and where its
 * state lives. The rig's stand-in image honours the same contract.
 */
/**
 * Where exported setups (CI snippets, compose, Kubernetes) mount the project:
 * their paths are the CI's, not this machine's. werf-run's own runs mount the
 * checkout at its own path (plan.ts).
 */
export const PROJECT_DIR = '/workspace';

export interface ImageUser {
  /** Value for the container's User field. */
  user: string;
  home: string;
  /** The numeric uid when the contract or the value tells it (build 1000, build1001 1001, root 0, a number). */
  uid: number | undefined;
}

/** `build` (uid 1000) by default; `build1001` for runners that need uid 1001 (GitHub Actions). */
export function imageUser(user: string | undefined): ImageUser {
  if (user === undefined) return { user: 'build', home: '/home/build', uid: 1000 };
  // `name:group` (docker run --user): the user part decides the home; the value goes to the engine as given.
  const name = user.split(':', 1)[0]!;
  const ids = name === user ? undefined : user;
  if (name === 'build' || name === '1000') return { user: ids ?? 'build', home: '/home/build', uid: 1000 };
  if (name === 'build1001' || name === '1001') return { user: ids ?? 'build1001', home: '/home/build1001', uid: 1001 };
  if (name === 'root' || name === '0') return { user, home: '/root', uid: 0 };
  return { user, home: `/home/${name}`, uid: /^\d+$/.test(name) ? Number(name) : undefined };
}

/**
 * buildah's storage (the parent of its graph root) for werf's user. As root werf's
 * buildah uses /var/lib/containers/storage, not the home (werf pkg/buildah/native_linux.go:1151-1172
 * NewNativeStoreOptions: rootlessUID 0 gives graphRoot /var/lib/containers/storage).
 */
export const storageDir = (home: string, uid?: number): string => (uid === 0 ? '/var/lib/containers' : `${home}/.local/share/containers`);
export const werfHomeDir = (home: string): string => `${home}/.werf`;
