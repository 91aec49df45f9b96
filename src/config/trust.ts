/**
 * Which settings of a project's config file are the project's to make and
 * which only the user may grant (pure). A cloned repository's committed
 * config may shape the run (werf's image from werf's repositories, modes
 * below privileged, volume names, detect overrides, ...); what gives werf's
 * container more than the least-privileged mode and the project's own files
 * (privileged, the Docker socket, host paths, the host's variables, another
 * engine, another image that then receives the handed-in credentials) counts
 * only with the user's consent (config/consent.ts). Every key of the schema
 * has a rule here: a test fails for a key without one, and the table in
 * docs/configuration.md is generated from these rules.
 */
import path from 'node:path';
import type { Config } from './schema.js';
import { isSecretName } from './secrets.js';
import { quoteCapped } from './quote.js';

/** werf's own image repositories (werf docs: ghcr.io/werf/werf, mirrored at registry.werf.io/werf/werf). */
const WERF_REPOSITORIES = ['ghcr.io/werf/werf', 'registry.werf.io/werf/werf'] as const;

/** Network modes that give werf's container nothing of the host's (Docker's default bridge, or none). */
const PLAIN_NETWORKS = new Set(['none', 'bridge', 'default']);

/** One setting of a project file that grants something: the key as written, its value, what it grants. */
export interface Grant {
  key: string;
  value: string;
  grants: string;
}

/** What the rules need to know besides the file's values. */
export interface GrantContext {
  /** The project's root: mounts inside it are the project's own files. */
  projectRoot: string;
  /** A mount source with its symbolic links resolved (a missing path as it is). */
  realpath(file: string): string;
  /** Key paths a higher layer (a variable, a flag: the user) set: the file's value for them does not count. */
  setByUser(keyPath: string): boolean;
  /** Repositories of werf's image the user named (their own config): like werf's own. */
  imageRepositories: readonly string[];
}

/** For each key of the schema: when the project's value only shapes the run, and when it grants (undefined: never). */
interface TrustRule {
  grants?: string;
  check?: (config: Config, ctx: GrantContext) => Grant[];
}

/** The repository of an image reference: without its digest and tag. */
export function repositoryOf(reference: string): string {
  const noDigest = reference.split('@')[0]!;
  const colon = noDigest.lastIndexOf(':');
  return colon > noDigest.lastIndexOf('/') ? noDigest.slice(0, colon) : noDigest;
}

function isWerfRepository(repository: string, ctx: GrantContext): boolean {
  const wanted = repository.toLowerCase().replace(/\/+$/, '');
  const same = (r: string): boolean => r.toLowerCase().replace(/\/+$/, '') === wanted;
  // werf's own first: the user's list is read only for another repository.
  return WERF_REPOSITORIES.some(same) || ctx.imageRepositories.some(same);
}

function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/** A plain variable name (no glob) that does not look like a secret. */
function isPlainName(pattern: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(pattern) && !isSecretName(pattern);
}

/** uid 0 or root, with any group. */
function isRootUser(user: string): boolean {
  return /^(0|root)(:|$)/.test(user);
}

const grant = (key: string, value: unknown, grants: string): Grant[] => [{ key, value: quoteCapped(value), grants }];

const IMAGE_GRANT =
  "werf's container (with the registry credentials, kubeconfig and ssh agent handed to werf) runs in an image outside werf's repositories";

export const TRUST_RULES: Readonly<Record<string, TrustRule>> = {
  $schema: {},
  $comment: {},
  'engine.host': {
    grants: 'any value: the project and the credentials handed to werf go to that engine',
    check: (c) =>
      c.engine.host ? grant('engine.host', c.engine.host, 'sends the project and the credentials handed to werf to that engine') : [],
  },
  'engine.context': {
    grants: 'any value: the project and the credentials handed to werf go to that engine',
    check: (c) =>
      c.engine.context
        ? grant('engine.context', c.engine.context, 'sends the project and the credentials handed to werf to that engine')
        : [],
  },
  'engine.timeoutMs': {},
  'image.repository': {
    grants: `a repository other than ${WERF_REPOSITORIES.join(' and ')} (and those you list in imageRepositories of your own config)`,
    check: (c, ctx) =>
      c.image.reference === undefined && !isWerfRepository(c.image.repository, ctx)
        ? grant('image.repository', c.image.repository, IMAGE_GRANT)
        : [],
  },
  'image.group': {},
  'image.channel': {},
  'image.distro': {},
  'image.version': {},
  'image.reference': {
    grants: 'a reference outside the repositories image.repository may name',
    check: (c, ctx) => {
      const ref = c.image.reference;
      if (ref === undefined) return [];
      // A bare digest picks an image of image.repository.
      const repository = /^sha256:/.test(ref) ? c.image.repository : repositoryOf(ref);
      return isWerfRepository(repository, ctx) ? [] : grant('image.reference', ref, IMAGE_GRANT);
    },
  },
  'image.pull': {},
  mode: {
    grants: '`privileged`',
    check: (c) => (c.mode === 'privileged' ? grant('mode', c.mode, 'runs werf privileged (root on the Docker host)') : []),
  },
  allowPrivileged: {
    grants: '`true`',
    check: (c) => (c.allowPrivileged ? grant('allowPrivileged', true, 'lets werf run privileged (root on the Docker host)') : []),
  },
  // Writes images named by the project (werf.yaml's project and image names) into the user's engine: a project
  // named `library` with an image `nginx` would retag the user's nginx:latest. Only the user asks for that.
  load: {
    grants: '`true`',
    check: (c) =>
      c.load
        ? grant(
            'load',
            true,
            "loads the project's images into your Docker Engine under names the project chooses (<project>/<image>:latest)",
          )
        : [],
  },
  maxAttempts: {},
  'detect.rootlessOverlay': {},
  'detect.fuseDevice': {},
  'detect.userNamespaces': {},
  'detect.selinux': {},
  'detect.usernsRemap': {},
  'detect.maxUserNamespaces': {},
  'detect.apparmorRestrictUserns': {},
  'detect.probe': {},
  network: {
    grants: 'anything but `none`, `bridge` and `default` (`host`, `container:NAME`, a named network)',
    check: (c) =>
      c.network !== undefined && !PLAIN_NETWORKS.has(c.network)
        ? grant('network', c.network, "puts werf's container on that network (host: this machine's network)")
        : [],
  },
  user: {
    grants: '`0` or `root` (with any group)',
    check: (c) => (c.user !== undefined && isRootUser(c.user) ? grant('user', c.user, 'runs werf as root in its container') : []),
  },
  'volumes.storage': {},
  'volumes.werfHome': {},
  mounts: {
    grants: 'a mount whose source (symbolic links resolved) is outside the project, or any mount with `readOnly: false`',
    check: (c, ctx) =>
      c.mounts.flatMap((m, i) => {
        const source = ctx.realpath(path.resolve(ctx.projectRoot, m.source));
        const outside = !isInside(ctx.realpath(ctx.projectRoot), source);
        if (!outside && m.readOnly) return [];
        const what = [
          outside ? `mounts ${source}, outside the project,` : 'mounts a path of the project',
          m.readOnly ? 'read-only' : 'writable',
        ].join(' ');
        return grant(`mounts[${i}]`, `${m.source} -> ${m.target}`, `${what} into werf's container`);
      }),
  },
  'mounts[].source': { grants: 'see mounts' },
  'mounts[].target': {},
  'mounts[].readOnly': { grants: 'see mounts' },
  'env.pass': {
    grants: 'a pattern (`*`, `?`) or a secret-looking name (…TOKEN, …PASSWORD, …_KEY, …): plain names only shape the run',
    check: (c) =>
      c.env.pass.flatMap((p, i) =>
        isPlainName(p)
          ? []
          : grant(
              `env.pass[${i}]`,
              p,
              /[*?]/.test(p) ? 'passes every host variable it matches to werf' : 'passes a secret-looking host variable to werf',
            ),
      ),
  },
  'env.set': {},
  mountDockerSocket: {
    grants: '`true`',
    check: (c) =>
      c.mountDockerSocket
        ? grant('mountDockerSocket', true, "mounts the Docker socket (root on the engine's host) into werf's container")
        : [],
  },
  ciEnv: {},
  // Paths inside the project only (the schema refuses `..` and absolute ones): a bind mount gives werf all of them anyway.
  'ship.include': {},
  'forward.dockerConfig': {},
  'forward.kubeConfig': {},
  'forward.sshAgent': {},
  // CA certificates are public, and these are the ones this machine already trusts: a project turning it on or off grants nothing.
  'forward.hostCertificates': {},
};

/** The top key path a grant's key belongs to (`mounts[1]` -> `mounts`), as origins name it. */
function keyPathOf(key: string): string {
  return key.replace(/\[\d+\]$/, '');
}

/** What a project file (validated, with defaults) grants, except what a higher layer (the user) set. */
export function findGrants(config: Config, ctx: GrantContext): Grant[] {
  return Object.values(TRUST_RULES)
    .flatMap((rule) => rule.check?.(config, ctx) ?? [])
    .filter((g) => !ctx.setByUser(keyPathOf(g.key)) && !(g.key === 'image.repository' && ctx.setByUser('image.reference')));
}

/** Whether a config file runs code when it is loaded. */
export function isCodeConfig(file: string): boolean {
  return /\.([cm]?js|ts)$/.test(file);
}
