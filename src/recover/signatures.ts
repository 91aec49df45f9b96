/**
 * Known ways a werf run fails because of the container's settings, matched on
 * werf's output or on an Engine API error. Each entry names the cause and what
 * to change on the Docker host; decide.ts says what werf-run does next.
 */
export type FailureId =
  | 'userns-denied'
  | 'userns-disabled'
  | 'fuse-not-in-container'
  | 'fuse-permission'
  | 'fuse-missing-on-host'
  | 'mount-denied'
  | 'overlay-on-overlay'
  | 'ids-insufficient'
  | 'newuidmap-failed';

export interface Signature {
  id: FailureId;
  /** Matched against one line of output, or an API error message. */
  pattern: RegExp;
  cause: string;
  remedy: string;
}

export const SIGNATURES: readonly Signature[] = [
  {
    id: 'userns-denied',
    pattern: /unshare\(CLONE_NEWUSER\): Operation not permitted/,
    cause: 'seccomp or AppArmor forbids user namespaces in the werf container',
    remedy:
      'run with seccomp and AppArmor unconfined (--security-opt seccomp=unconfined --security-opt apparmor=unconfined); on Ubuntu 23.10+ hosts also: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0',
  },
  {
    id: 'userns-disabled',
    pattern: /User namespaces are not enabled in \/proc\/sys\/kernel\/unprivileged_userns_clone/,
    cause: 'the Docker host disables unprivileged user namespaces',
    remedy: 'on the Docker host: sysctl -w kernel.unprivileged_userns_clone=1',
  },
  {
    id: 'fuse-not-in-container',
    pattern: /fuse: device not found, try 'modprobe fuse' first/,
    // Why buildah chose fuse-overlayfs (the kernel, or the image's storage settings) is decide.ts's to say, from the facts.
    cause: 'buildah uses fuse-overlayfs but the container has no /dev/fuse',
    remedy: 'give the container the device (--device /dev/fuse); if the Docker host has none: modprobe fuse on it',
  },
  {
    id: 'fuse-permission',
    pattern: /fuse: failed to open \/dev\/fuse: Permission denied/,
    cause: "the Docker host's /dev/fuse is not readable and writable by the image's user (uid 1000)",
    remedy: 'on the Docker host: chmod 0666 /dev/fuse (the usual udev default; persist it with a udev rule)',
  },
  {
    id: 'fuse-missing-on-host',
    pattern: /error gathering device information while adding custom device "\/dev\/fuse"/,
    cause: 'the Docker host has no /dev/fuse device',
    remedy: 'on the Docker host: modprobe fuse (Docker Desktop and some CI hosts have none)',
  },
  {
    id: 'mount-denied',
    pattern: /flags: 0x1000: permission denied/,
    cause: 'AppArmor or seccomp blocks the bind mount of buildah storage',
    remedy: 'run with seccomp and AppArmor unconfined',
  },
  {
    id: 'overlay-on-overlay',
    pattern: /'overlay' is not supported over overlayfs, a mount_program is required/,
    cause: "buildah storage sits on the container's overlay root instead of a volume",
    remedy: 'mount a volume at the storage directory (/home/build/.local/share/containers)',
  },
  {
    id: 'ids-insufficient',
    // After "Falling back to single mapping", the first layer with a file of
    // the user's (or any id outside the one mapping) fails. Two causes print
    // the same: a daemon that gives containers fewer ids than the image's
    // /etc/subuid range (rootless Docker/Podman with 65536 ids; recorded:
    // fixtures/ids-insufficient-rootless-docker.txt, -podman.txt), or a
    // newuidmap without its file capabilities (fixtures/single-mapping.txt).
    // The probe's idRange tells them apart (decide.ts).
    pattern: /potentially insufficient UIDs or GIDs available in user namespace/,
    cause: "buildah's user namespace lacks ids the layers need: the daemon gives containers fewer uids/gids than the image user's /etc/subuid range, or newuidmap failed and buildah fell back to a single uid mapping",
    remedy:
      "if the daemon is rootless: on its host give the user that runs it at least 165536 subordinate ids in /etc/subuid and /etc/subgid (USER:524288:165536), then restart it (systemctl --user restart docker; Podman: podman system migrate); otherwise use an image whose newuidmap/newgidmap carry cap_setuid/cap_setgid file capabilities (werf's images do)",
  },
  {
    id: 'newuidmap-failed',
    // Not the first warning ("newuidmap: write to uid_map failed ... Falling back
    // to single mapping"): a build can still succeed with one mapping. This is
    // the error that single mapping then causes on a RUN step.
    pattern: /error setting supplemental groups list: operation not permitted/,
    cause: 'buildah fell back to a single uid mapping: newuidmap/newgidmap lack their file capabilities in this image (or the container drops them), or /etc/subuid has no range for the user',
    remedy: "use an image whose newuidmap/newgidmap carry cap_setuid/cap_setgid file capabilities (werf's images do)",
  },
];

export function classify(text: string): Signature | undefined {
  return SIGNATURES.find((s) => s.pattern.test(text));
}
