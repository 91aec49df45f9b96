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
  | 'newuidmap-failed'
  | 'userns-limit'
  | 'apparmor-userns'
  | 'fuse-overlayfs-missing'
  | 'native-rootless-refused'
  | 'exec-format'
  | 'registry-ca-unknown'
  | 'registry-rate-limit'
  | 'worktree-denied'
  | 'secret-key-missing'
  | 'cluster-unreachable';

export interface Signature {
  id: FailureId;
  /** Matched against one line of output, or an API error message. */
  pattern: RegExp;
  cause: string;
  remedy: string;
  /**
   * Explains werf's own failure and never stops werf: no mode changes it, and
   * the text may also appear in output werf goes on from (a pull werf retries,
   * a RUN step's own test). Said after werf exits non-zero.
   */
  hint?: true;
}

import { REMEDIES } from '../detect/choose.js';
import { BINFMT_REMEDY } from '../plan/platform.js';

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
    // EACCES under AppArmor; EPERM ("operation not permitted") on Podman or with capabilities added but still confined (buildah #5976, #5483).
    pattern: /flags: 0x1000: permission denied|flags: 0x1000: operation not permitted/,
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
    cause:
      "buildah's user namespace lacks ids the layers need: the daemon gives containers fewer uids/gids than the image user's /etc/subuid range, or newuidmap failed and buildah fell back to a single uid mapping",
    remedy:
      "if the daemon is rootless: on its host give the user that runs it at least 165536 subordinate ids in /etc/subuid and /etc/subgid (USER:524288:165536), then restart it (systemctl --user restart docker; Podman: podman system migrate); otherwise use an image whose newuidmap/newgidmap carry cap_setuid/cap_setgid file capabilities (werf's images do)",
  },
  {
    id: 'newuidmap-failed',
    // Not the first warning ("newuidmap: write to uid_map failed ... Falling back
    // to single mapping"): a build can still succeed with one mapping. These are
    // the errors that single mapping then causes on a RUN step (recorded:
    // fixtures/single-mapping.txt); `setgroups 65534 failed` is apt hitting the same.
    pattern: /error setting supplemental groups list: operation not permitted|setgroups 65534 failed/,
    cause:
      'buildah fell back to a single uid mapping: newuidmap/newgidmap lack their file capabilities in this image (or the container drops them), or /etc/subuid has no range for the user',
    remedy: "use an image whose newuidmap/newgidmap carry cap_setuid/cap_setgid file capabilities (werf's images do)",
  },
  {
    id: 'userns-limit',
    pattern: /unshare\(CLONE_NEWUSER\): No space left on device|User namespaces are not enabled in \/proc\/sys\/user\/max_user_namespaces/,
    cause: 'the Docker host allows no user namespaces (user.max_user_namespaces = 0: RHEL 7, some managed hosts)',
    remedy: REMEDIES.maxUserNamespaces,
  },
  {
    id: 'apparmor-userns',
    // Ubuntu 23.10+/24.04: a host restriction, not an image defect. Not newuidmap's warning alone
    // (that one also precedes the single-mapping case), but buildah's own uid_map write failing after it.
    pattern:
      /error (writing|opening) .*\/proc\/\d+\/uid_map: .*(operation not permitted|permission denied)|^(?!.*level=warn).*write to uid_map failed: Operation not permitted/i,
    cause:
      'AppArmor on the Docker host restricts unprivileged user namespaces (Ubuntu 23.10+ and 24.04: kernel.apparmor_restrict_unprivileged_userns=1), so no uid map can be written',
    remedy: REMEDIES.apparmorRestrict,
  },
  {
    id: 'fuse-overlayfs-missing',
    pattern: /"fuse-overlayfs" binary not found in PATH/,
    cause: 'werf needs fuse-overlayfs here (no rootless overlayfs) and the image does not have it',
    remedy: 'use a werf image (ghcr.io/werf/werf or registry.werf.io/werf/werf ship fuse-overlayfs), or an image that adds it',
  },
  {
    id: 'native-rootless-refused',
    pattern: /native rootless mode is not available in containers/,
    cause: 'WERF_BUILDAH_MODE=native-rootless reached werf, which refuses it in a container',
    remedy: 'do not set WERF_BUILDAH_MODE (the werf image sets auto) in the image, env.set or a wrapper script',
  },
  {
    id: 'exec-format',
    hint: true,
    // Recorded: fixtures/exec-format-error.txt (buildah's RUN of an arm64 binary on an amd64 host without binfmt_misc handlers).
    pattern: /exec format error/,
    cause:
      "a RUN step runs a program for another CPU architecture (--platform, or a base image of another architecture), and the Docker host's kernel has no binfmt_misc handler (qemu) for it",
    remedy: BINFMT_REMEDY,
  },
  {
    id: 'registry-ca-unknown',
    hint: true,
    // Recorded: fixtures/registry-ca-unknown.txt (FROM a registry whose certificate comes from a private CA).
    pattern: /x509: certificate signed by unknown authority/,
    cause:
      "a registry's TLS certificate comes from a CA that buildah in the werf container does not trust (the Docker daemon may trust it through /etc/docker/certs.d or the host's store; buildah reads /etc/containers/certs.d)",
    remedy:
      "give buildah the CA: add it to this machine's trust store (update-ca-certificates, or SSL_CERT_FILE naming a PEM bundle: werf-run hands that bundle to werf unless forward.hostCertificates is false), or mount it at /etc/containers/certs.d/<registry>/ca.crt (werf-run config: mounts: [{source: /etc/docker/certs.d/<registry>/ca.crt, target: /etc/containers/certs.d/<registry>/ca.crt}]); only for a test registry: werf's --skip-tls-verify-registry",
  },
  {
    id: 'registry-rate-limit',
    hint: true,
    // Not recorded (no docker.io here): fixtures/registry-rate-limit.txt, the registry's error code (distribution spec TOOMANYREQUESTS) as containers/image prints it.
    pattern: /toomanyrequests/i,
    cause:
      "a registry (usually docker.io for base images) refused werf's pulls: too many anonymous pulls from this address; the Docker daemon may use a mirror that buildah in the werf container does not know",
    remedy:
      "log in to the registry (docker login; werf-run hands werf the credentials), or point werf at a mirror of docker.io: werf's --container-registry-mirror <mirror> (WERF_CONTAINER_REGISTRY_MIRROR)",
  },
  // What werf-run handed werf (or did not) rather than the container's mode: no mode helps.
  {
    id: 'worktree-denied',
    // werf's `git worktree add` in the project's git dir (werf pkg/true_git/work_tree.go:267) as a user who may not write there.
    pattern: /could not create leading directories of '[^']*worktrees\/[^']*': Permission denied/,
    cause: "werf may not write into the checkout's git dir (git worktree add): it runs as another uid than the checkout's owner",
    remedy:
      "let werf-run run werf as the checkout's owner (leave user unset in the werf-run config); or give the checkout to the user werf runs as (chown -R 1000:1000 <checkout> for build)",
  },
  {
    id: 'secret-key-missing',
    // werf/common-go pkg/secrets_manager/secret_key.go:109-116.
    pattern: /required encryption key not found in: /,
    cause: "werf found no secret key: not in WERF_SECRET_KEY, the project's .werf_secret_key, or ~/.werf/global_secret_key",
    remedy:
      'set WERF_SECRET_KEY (werf-run passes WERF_* variables), or put the key in <project>/.werf_secret_key or in ~/.werf/global_secret_key on this machine (werf-run hands that file in)',
  },
  {
    id: 'cluster-unreachable',
    // client-go's fallback to http://localhost:8080 when werf found no kubeconfig.
    pattern: /Kubernetes cluster unreachable: .*localhost:8080/,
    cause: 'werf got no kubeconfig, so it tried http://localhost:8080',
    remedy:
      'give werf a kubeconfig: KUBECONFIG, WERF_KUBECONFIG or ~/.kube/config on this machine (werf-run hands in the one werf would read; keep forward.kubeConfig on), or --kube-config FILE',
  },
];

export function classify(text: string): Signature | undefined {
  return SIGNATURES.find((s) => s.pattern.test(text));
}
