/**
 * The one definition of every werf-run setting. Validation, defaults and the
 * TypeScript type come from here, and so do werfrun.schema.json (scripts/gen-schema)
 * and the table of keys in docs/configuration.md.
 */
import { z } from 'zod';
import { CHANNELS, DISTROS, FUSE_STATES, GROUPS, MODES, PULL_POLICIES } from './values.js';

export { MODES, type Mode } from './values.js';

const imageSchema = z
  .strictObject({
    repository: z
      .string()
      .min(1)
      .default('ghcr.io/werf/werf')
      .describe('Registry and repository of the werf image; registry.werf.io/werf/werf is a mirror.'),
    group: z.enum(GROUPS).default('2').describe('werf release group.'),
    channel: z.enum(CHANNELS).default('stable').describe('Release channel within the group.'),
    distro: z.enum(DISTROS).default('alpine').describe('Base distribution of the werf image.'),
    version: z.string().min(1).optional().describe('An exact werf version (e.g. "2.35.1"); overrides group and channel.'),
    reference: z.string().min(1).optional().describe('A full image reference or digest; overrides everything else in image.'),
    pull: z.enum(PULL_POLICIES).default('missing').describe('When to pull the image: missing, always or never.'),
  })
  .describe('Which werf image to run.');

const detectSchema = z
  .strictObject({
    rootlessOverlay: z.boolean().optional().describe('Override: the host kernel can mount overlayfs in an unprivileged user namespace.'),
    fuseDevice: z.enum(FUSE_STATES).optional().describe('Override: state of /dev/fuse on the Docker host.'),
    userNamespaces: z.boolean().optional().describe('Override: unprivileged user namespaces are allowed on the Docker host.'),
    selinux: z.boolean().optional().describe('Override: the daemon enforces SELinux labels (adds label=disable).'),
    usernsRemap: z.boolean().optional().describe('Override: the daemon runs with userns-remap (privileged then needs --userns=host).'),
    maxUserNamespaces: z.number().int().min(0).optional().describe('Override: /proc/sys/user/max_user_namespaces on the Docker host.'),
    apparmorRestrictUserns: z
      .number()
      .int()
      .min(0)
      .max(1)
      .optional()
      .describe('Override: kernel.apparmor_restrict_unprivileged_userns on the Docker host (Ubuntu 23.10+).'),
    probe: z
      .boolean()
      .default(true)
      .describe(
        "Probe the Docker host when a fact is unknown (on a cold run without a TTY in werf's own first container, before werf; else a short container of its own); false trusts /info, the cache and overrides only.",
      ),
  })
  .describe('Facts about the Docker host, for hosts where probing is impossible or wrong.');

/** The Docker daemon's rule for a local volume's name (moby volume/local: validNameRegex). */
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const volumeName = z
  .string()
  .regex(VOLUME_NAME, 'allowed: a Docker volume name (two or more of letters, digits, "_", "." and "-", starting with a letter or digit)');

/** What `docker run --user` takes: a user name or uid, optionally ":group" (name or gid). */
// Both cases spelled out rather than the i flag, which a JSON Schema pattern (and so the check without zod) cannot carry.
const USER_FORM = /^([a-zA-Z_][a-zA-Z0-9_.-]*\$?|\d+)(:([a-zA-Z_][a-zA-Z0-9_.-]*\$?|\d+))?$/;

/** A path inside the project: relative, no ".." segment (shipped paths must stay in their volume). */
// Lookaheads rather than a refine: the check without zod reads the JSON Schema's pattern.
const INSIDE_PATH = /^(?![/\\])(?!(.*[/\\])?\.\.([/\\]|$)).+$/;

const mountSchema = z.strictObject({
  source: z.string().min(1).describe('Host path (absolute, or relative to the project root).'),
  target: z.string().startsWith('/').describe('Absolute path in the container.'),
  readOnly: z.boolean().default(true),
});

export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path or URL of werfrun.schema.json, for editors.'),
    $comment: z.string().optional().describe('A note for the people who read the file; werf-run ignores it.'),
    engine: z
      .strictObject({
        host: z.string().min(1).optional().describe('Docker endpoint (like DOCKER_HOST): unix://, tcp://, ssh://.'),
        context: z.string().min(1).optional().describe('docker context to use (like DOCKER_CONTEXT).'),
        timeoutMs: z.number().int().positive().default(5000).describe('How long each engine candidate may take to answer.'),
      })
      .prefault({})
      .describe('Which Docker Engine to talk to; unset follows the docker CLI.'),
    image: imageSchema.prefault({}),
    mode: z
      .enum(['auto', ...MODES])
      .default('auto')
      .describe(
        'auto picks the least-privileged mode the host allows and recovers to the next mode on a known failure; any other value runs in that mode only (no recovery to another mode).',
      ),
    allowPrivileged: z.boolean().default(false).describe('Allow the privileged mode (never used unless true).'),
    load: z
      .boolean()
      .default(false)
      .describe(
        "After a successful werf build or converge without --repo: load werf's final images from buildah's storage into the engine werf-run talks to (docker images lists them), by werf's name and as <project>/<image>:latest.",
      ),
    maxAttempts: z.number().int().min(1).max(5).default(3).describe('How many modes a run may try before giving up.'),
    detect: detectSchema.prefault({}),
    network: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Docker network mode for the werf container (e.g. host); unset uses the engine default, or host on a local Linux engine when werf names a loopback registry (--repo 127.0.0.1:5000/app).',
      ),
    user: z
      .string()
      .regex(
        USER_FORM,
        'allowed: a user of the werf image\'s /etc/passwd, by name or uid, optionally with ":group" (e.g. build, 1001, build1001:build1001)',
      )
      .optional()
      .describe('User to run werf as; unset uses the image contract (build, uid 1000).'),
    volumes: z
      .strictObject({
        storage: volumeName.default('werf-run-buildah-storage').describe('Named volume for buildah storage.'),
        werfHome: volumeName.default('werf-run-werf-home').describe('Named volume for ~/.werf.'),
      })
      .prefault({})
      .describe('Cache volumes, kept between runs.'),
    mounts: z.array(mountSchema).default([]).describe('Extra bind mounts.'),
    ship: z
      .strictObject({
        include: z
          .array(
            z
              .string()
              .regex(INSIDE_PATH, 'allowed: a path relative to the project root, without ".." (e.g. "dist" or "config/local.yaml")'),
          )
          .default([])
          .describe(
            'Paths in the project (relative to its root) to ship besides what git would see (tracked files, untracked ones not ignored, .git), e.g. an ignored file werf needs; a dir goes whole.',
          ),
      })
      .prefault({})
      .describe('Shipping the checkout to an engine whose host cannot see it.'),
    env: z
      .strictObject({
        pass: z
          .array(z.string().min(1))
          .default([])
          .describe('More host variables to pass, by name or glob (WERF_* and CI variables always pass).'),
        set: z.record(z.string(), z.string()).default({}).describe('Variables set to fixed values.'),
      })
      .prefault({})
      .describe('Environment for werf.'),
    mountDockerSocket: z
      .boolean()
      .default(false)
      .describe(
        "Mount the engine's unix socket at /var/run/docker.sock in the werf container, with its group and DOCKER_HOST set (never by default; only for a local unix-socket engine).",
      ),
    ciEnv: z
      .enum(['auto', 'gitlab', 'github', 'off'])
      .default('auto')
      .describe(
        'Run `werf ci-env <ci> --as-file` and source it before the werf command, in the same container: auto does it in GitLab CI and GitHub Actions for the commands that use it (build, converge, dismiss, cleanup, bundle, ...).',
      ),
    forward: z
      .strictObject({
        dockerConfig: z
          .boolean()
          .default(true)
          .describe(
            'Hand werf the registry credentials of this host (DOCKER_AUTH_CONFIG, then the --docker-config werf is given, WERF_DOCKER_CONFIG, DOCKER_CONFIG or ~/.docker; credential helpers run here) as a generated config.json with plain auths.',
          ),
        kubeConfig: z
          .boolean()
          .default(true)
          .describe(
            'Hand werf one flattened kubeconfig (certificate files embedded) for commands that talk to a cluster: from WERF_KUBE_CONFIG(_BASE64), WERF_KUBECONFIG(_BASE64), KUBECONFIG (a list too) or KUBECONFIG_BASE64, else ~/.kube/config; minified to WERF_KUBE_CONTEXT.',
          ),
        sshAgent: z
          .boolean()
          .default(true)
          .describe(
            'Forward the ssh-agent socket (SSH_AUTH_SOCK) when set, for git over ssh (a local engine only: a remote one cannot reach it; Docker Desktop: its agent bridge), with known_hosts and WERF_SSH_KEY_* files copied in.',
          ),
        hostCertificates: z
          .boolean()
          .default(true)
          .describe(
            "Hand werf this machine's system CA bundle (SSL_CERT_FILE, else the first of Go's list: /etc/ssl/certs/ca-certificates.crt, /etc/pki/tls/certs/ca-bundle.crt, ...; plus SSL_CERT_DIR's files) as a file named by SSL_CERT_FILE in its container, so a corporate CA trusted here is trusted by werf and buildah too; the image's own CAs stay trusted.",
          ),
      })
      .prefault({})
      .describe(
        'Host credentials werf may need, each copied into the werf container (mode 0600, owned by the image user) when present on the host; the ssh-agent socket is mounted when the engine runs on this machine.',
      ),
  })
  .describe('werf-run configuration');

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

export function defaultConfig(): Config {
  return configSchema.parse({});
}
