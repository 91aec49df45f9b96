/**
 * The one definition of every werf-run setting. Validation, defaults and the
 * TypeScript type come from here, and so do werfrun.schema.json (scripts/gen-schema)
 * and the table of keys in docs/configuration.md.
 */
import { z } from 'zod';
import { CHANNELS, DISTROS, FUSE_STATES, GROUPS, MODES, PULL_POLICIES } from './values.js';

export { CHANNELS, DISTROS, FUSE_STATES, GROUPS, MODES, PULL_POLICIES, type Mode } from './values.js';

const imageSchema = z
  .strictObject({
    repository: z.string().min(1).default('ghcr.io/werf/werf').describe('Registry and repository of the werf image; registry.werf.io/werf/werf is a mirror.'),
    group: z.enum(GROUPS).default('2').describe('werf release group.'),
    channel: z.enum(CHANNELS).default('stable').describe('Release channel within the group.'),
    distro: z.enum(DISTROS).default('alpine').describe('Base distribution of the werf image.'),
    version: z.string().min(1).optional().describe('An exact werf version (e.g. "2.35.1"); overrides group and channel.'),
    reference: z.string().min(1).optional().describe('A full image reference or digest; overrides everything else in image.'),
    pull: z.enum(PULL_POLICIES).default('missing').describe('When to pull the image: missing, always or never.'),
  })
  .describe('Which werf image to run.');

export const detectSchema = z
  .strictObject({
    rootlessOverlay: z.boolean().optional().describe('Override: the host kernel can mount overlayfs in an unprivileged user namespace.'),
    fuseDevice: z.enum(FUSE_STATES).optional().describe('Override: state of /dev/fuse on the Docker host.'),
    userNamespaces: z.boolean().optional().describe('Override: unprivileged user namespaces are allowed on the Docker host.'),
    selinux: z.boolean().optional().describe('Override: the daemon enforces SELinux labels (adds label=disable).'),
    usernsRemap: z.boolean().optional().describe('Override: the daemon runs with userns-remap (privileged then needs --userns=host).'),
    maxUserNamespaces: z.number().int().min(0).optional().describe('Override: /proc/sys/user/max_user_namespaces on the Docker host.'),
    apparmorRestrictUserns: z.number().int().min(0).max(1).optional().describe('Override: kernel.apparmor_restrict_unprivileged_userns on the Docker host (Ubuntu 23.10+).'),
    probe: z.boolean().default(true).describe('Run a short probe container when a fact is unknown; false trusts /info, the cache and overrides only.'),
  })
  .describe('Facts about the Docker host, for hosts where probing is impossible or wrong.');

const mountSchema = z.strictObject({
  source: z.string().min(1).describe('Host path (absolute, or relative to the project root).'),
  target: z.string().startsWith('/').describe('Absolute path in the container.'),
  readOnly: z.boolean().default(true),
});

export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path or URL of werfrun.schema.json, for editors.'),
    engine: z
      .strictObject({
        host: z.string().min(1).optional().describe('Docker endpoint (like DOCKER_HOST): unix://, tcp://, ssh://.'),
        context: z.string().min(1).optional().describe('docker context to use (like DOCKER_CONTEXT).'),
        timeoutMs: z.number().int().positive().default(5000).describe('How long each engine candidate may take to answer.'),
      })
      .prefault({})
      .describe('Which Docker Engine to talk to; unset follows the docker CLI.'),
    image: imageSchema.prefault({}),
    mode: z.enum(['auto', ...MODES]).default('auto').describe('auto picks the least-privileged mode that works; or force one.'),
    allowPrivileged: z.boolean().default(false).describe('Allow the privileged mode (never used unless true).'),
    maxAttempts: z.number().int().min(1).max(5).default(3).describe('How many modes a run may try before giving up.'),
    detect: detectSchema.prefault({}),
    network: z.string().min(1).optional().describe('Docker network mode for the werf container (e.g. host); unset uses the engine default.'),
    user: z.string().min(1).optional().describe('User to run werf as; unset uses the image contract (build, uid 1000).'),
    volumes: z
      .strictObject({
        storage: z.string().min(1).default('werf-run-buildah-storage').describe('Named volume for buildah storage.'),
        werfHome: z.string().min(1).default('werf-run-werf-home').describe('Named volume for ~/.werf.'),
      })
      .prefault({})
      .describe('Cache volumes, kept between runs.'),
    mounts: z.array(mountSchema).default([]).describe('Extra bind mounts.'),
    env: z
      .strictObject({
        pass: z.array(z.string().min(1)).default([]).describe('More host variables to pass, by name or glob (WERF_* and CI variables always pass).'),
        set: z.record(z.string(), z.string()).default({}).describe('Variables set to fixed values.'),
      })
      .prefault({})
      .describe('Environment for werf.'),
    mountDockerSocket: z
      .boolean()
      .default(false)
      .describe("Mount the engine's unix socket at /var/run/docker.sock in the werf container, with its group and DOCKER_HOST set (never by default; only for a local unix-socket engine)."),
    forward: z
      .strictObject({
        dockerConfig: z.boolean().default(true).describe("Mount the host's Docker config.json read-only for registry auth (WERF_DOCKER_CONFIG, DOCKER_CONFIG or ~/.docker)."),
        kubeConfig: z.boolean().default(true).describe('Mount the kubeconfig files read-only for deploy commands (KUBECONFIG, a list too, or ~/.kube/config).'),
        sshAgent: z.boolean().default(true).describe('Forward the ssh-agent socket (SSH_AUTH_SOCK) when set, for git over ssh.'),
      })
      .prefault({})
      .describe('Host credentials werf may need, each mounted read-only when present on the host.'),
  })
  .describe('werf-run configuration');

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

export function defaultConfig(): Config {
  return configSchema.parse({});
}
