/**
 * One kubeconfig for werf in its container (pure): the files werf would read
 * merged as kubectl merges them, certificate and key files embedded (like
 * `kubectl config view --flatten`), minified to the context when one is
 * known (`kubectl config view --minify --flatten`). The used user's exec
 * or auth-provider plugin (aws, gke-gcloud-auth-plugin, kubelogin) is a
 * program the werf image does not have: it is returned, for the host floor to
 * run here (plan/exec-credential.ts). Servers on the loopback become network targets.
 * Which files werf reads: cmd/werf/common/common.go (WERF_KUBE_CONFIG,
 * WERF_KUBECONFIG, KUBECONFIG; the *_BASE64 forms; WERF_KUBE_CONTEXT).
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
import { loopbackHost, type LoopbackTarget } from './network.js';

type Env = Readonly<Record<string, string | undefined>>;
type Obj = Record<string, unknown>;

interface KubeSource {
  /** A file path, or the variable holding base64 data. */
  where: string;
  /** The directory relative paths in it are resolved against (undefined for base64 data: paths must be absolute). */
  dir?: string;
}

/** werf's own kube flags in its arguments (before `--`), with where the --kube-config value sits. */
export interface KubeFlags {
  config?: { value: string; index: number };
  base64?: string;
  context?: string;
}

/**
 * werf's --kube-config, --kube-config-base64 and --kube-context (either form,
 * the last one given wins, as with cobra): they override the variables
 * (cmd/werf/common/common.go: SetupLegacyKubeConfigPath, SetupKubeConfigBase64,
 * SetupKubeContextCurrent).
 */
export function kubeFlags(werfArgs: readonly string[]): KubeFlags {
  const flags: KubeFlags = {};
  for (let i = 0; i < werfArgs.length; i++) {
    const arg = werfArgs[i]!;
    if (arg === '--') break;
    const match = /^--(kube-config|kube-config-base64|kube-context)(?:=(.*))?$/s.exec(arg);
    if (!match) continue;
    const inline = match[2] !== undefined;
    const value = inline ? match[2]! : werfArgs[i + 1];
    if (value === undefined) continue;
    if (match[1] === 'kube-config') flags.config = { value, index: inline ? i : i + 1 };
    else if (match[1] === 'kube-config-base64') flags.base64 = value;
    else flags.context = value;
    if (!inline) i++;
  }
  return flags;
}

/** werf's arguments with --kube-config's value (a path on this host) replaced by the handed-in file's path. */
export function withKubeConfigPath(werfArgs: readonly string[], flags: KubeFlags, target: string): string[] {
  if (!flags.config) return [...werfArgs];
  const out = [...werfArgs];
  out[flags.config.index] = out[flags.config.index]!.startsWith('--kube-config=') ? `--kube-config=${target}` : target;
  return out;
}

/**
 * Where werf would read its kubeconfig from: its flags first, then base64
 * data, then the first path variable set (a list), then ~/.kube/config.
 * A relative --kube-config is werf's working directory's, resolved against `cwd`.
 */
export function kubeconfigSources(
  env: Env,
  hostHome: string,
  flags: KubeFlags = {},
  cwd = hostHome,
): { base64?: { name: string; value: string }; files: string[]; variable?: string } {
  if (flags.base64) return { base64: { name: '--kube-config-base64', value: flags.base64 }, files: [] };
  if (flags.config) return { files: [path.resolve(cwd, flags.config.value)], variable: '--kube-config' };
  for (const name of ['WERF_KUBE_CONFIG_BASE64', 'WERF_KUBECONFIG_BASE64', 'KUBECONFIG_BASE64']) {
    const value = env[name];
    if (value) return { base64: { name, value }, files: [] };
  }
  for (const name of ['WERF_KUBE_CONFIG', 'WERF_KUBECONFIG', 'KUBECONFIG']) {
    const value = env[name];
    if (value) return { files: value.split(path.delimiter).filter(Boolean), variable: name };
  }
  return { files: [path.join(hostHome, '.kube', 'config')] };
}

const asObj = (value: unknown): Obj => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : {});
const named = (value: unknown): { name: string; body: Obj }[] =>
  (Array.isArray(value) ? value : [])
    .map(asObj)
    .flatMap((e) =>
      typeof e.name === 'string' ? [{ name: e.name, body: asObj(e[Object.keys(e).find((k) => k !== 'name') ?? ''] ?? {}) }] : [],
    );

export interface FlattenInput {
  /** Parsed kubeconfig documents, in werf's (kubectl's) order: the first wins for each name. */
  docs: { doc: unknown; source: KubeSource }[];
  /** WERF_KUBE_CONTEXT. */
  context?: string;
  /** Reads a file named in a kubeconfig; undefined when missing. */
  readFile: (file: string) => Buffer | undefined;
}

export interface FlatKubeconfig {
  config: Obj;
  /** The context werf will use. */
  context: string | undefined;
  targets: LoopbackTarget[];
  notes: string[];
  /** The used user gets its credentials from a program: run it here (host/kube-access.ts) and patch config's user. */
  plugin?: { user: string; kind: 'exec' | 'auth-provider'; source: KubeSource; cluster: Obj };
}

const EMBED = [
  { section: 'clusters', key: 'certificate-authority', data: 'certificate-authority-data' },
  { section: 'users', key: 'client-certificate', data: 'client-certificate-data' },
  { section: 'users', key: 'client-key', data: 'client-key-data' },
] as const;

type Merged = Record<'clusters' | 'users' | 'contexts', Map<string, { body: Obj; source: KubeSource }>>;

/** The kubeconfigs merged as kubectl merges them: the first of each name wins, and the first current-context. */
function mergeDocs(docs: FlattenInput['docs']): { merged: Merged; current: string | undefined } {
  const merged: Merged = {
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
  };
  let current: string | undefined;
  for (const { doc, source } of docs) {
    const o = asObj(doc);
    if (!current && typeof o['current-context'] === 'string' && o['current-context']) current = o['current-context'];
    for (const section of ['clusters', 'users', 'contexts'] as const) {
      for (const { name, body } of named(o[section]))
        if (!merged[section].has(name)) merged[section].set(name, { body: { ...body }, source });
    }
  }
  return { merged, current };
}

/** Files a cluster or user names (certificate-authority, client-certificate, client-key), embedded as their -data. */
function embedFiles(
  section: 'clusters' | 'users' | 'contexts',
  name: string,
  body: Obj,
  source: KubeSource,
  readFile: FlattenInput['readFile'],
  notes: string[],
): void {
  for (const rule of EMBED.filter((r) => r.section === section)) {
    const file = body[rule.key];
    if (typeof file !== 'string' || !file) continue;
    const full = path.isAbsolute(file) || !source.dir ? file : path.join(source.dir, file);
    const content = readFile(full);
    if (!content) {
      throw new UsageError(
        `the kubeconfig ${source.where} names ${rule.key} ${full} for ${section.slice(0, -1)} "${name}", and that file does not exist on this host`,
        `fix the path, or embed the file as ${rule.data} (kubectl config view --flatten --minify > a new kubeconfig)`,
      );
    }
    delete body[rule.key];
    body[rule.data] = content.toString('base64');
    notes.push(`kubeconfig: ${rule.key} ${full} of ${section.slice(0, -1)} "${name}" embedded`);
  }
}

export function flattenKubeconfig(input: FlattenInput): FlatKubeconfig {
  const { merged, current } = mergeDocs(input.docs);
  const context = input.context || current;
  if (input.context && !merged.contexts.has(input.context)) {
    throw new UsageError(
      `WERF_KUBE_CONTEXT is "${input.context}", but no kubeconfig werf reads (${input.docs.map((d) => d.source.where).join(', ')}) has that context`,
      `use one of: ${[...merged.contexts.keys()].join(', ') || '(none)'}`,
    );
  }
  // Minified to the context werf will use (kubectl config view --minify): other clusters' credentials never enter the container.
  const used = context !== undefined && merged.contexts.has(context) ? merged.contexts.get(context)!.body : undefined;
  const keep = (section: 'clusters' | 'users' | 'contexts', name: string): boolean => {
    if (!used) return true;
    return section === 'contexts' ? name === context : section === 'clusters' ? used.cluster === name : used.user === name;
  };
  const targets: LoopbackTarget[] = [];
  const notes: string[] = used ? [`kubeconfig: minified to context "${context}" (its cluster and user only)`] : [];
  let plugin: FlatKubeconfig['plugin'];
  const out: Obj = { apiVersion: 'v1', kind: 'Config', 'current-context': context ?? '', preferences: {} };
  for (const section of ['clusters', 'users', 'contexts'] as const) {
    const list: Obj[] = [];
    for (const [name, { body, source }] of merged[section]) {
      if (!keep(section, name)) continue;
      embedFiles(section, name, body, source, input.readFile, notes);
      if (section === 'users') {
        const kind = pluginOf(body);
        // The used user's plugin is run on this host (host/kube-access.ts); without a known context werf's user is unknown.
        if (kind && used) plugin = { user: name, kind, source, cluster: asObj(merged.clusters.get(String(used.cluster))?.body) };
        else if (kind) refusePlugin(name, body, source, context);
      }
      if (section === 'clusters' && typeof body.server === 'string') {
        const host = loopbackHost(body.server);
        if (host !== undefined) targets.push({ what: `kubeconfig server ${body.server} (cluster "${name}")`, host });
      }
      list.push({ name, [section.slice(0, -1)]: body });
    }
    out[section] = list;
  }
  return { config: out, context, targets, notes, ...(plugin ? { plugin } : {}) };
}

/** The user's credential program, if any: an exec plugin or an auth-provider. */
function pluginOf(user: Obj): 'exec' | 'auth-provider' | undefined {
  return typeof asObj(user.exec).command === 'string'
    ? 'exec'
    : typeof asObj(user['auth-provider']).name === 'string'
      ? 'auth-provider'
      : undefined;
}

/** No context, so no way to tell which user's plugin werf would run. */
function refusePlugin(name: string, user: Obj, source: KubeSource, context: string | undefined): void {
  const plugin =
    pluginOf(user) === 'exec'
      ? `the exec plugin "${String(asObj(user.exec).command)}"`
      : `the auth-provider "${String(asObj(user['auth-provider']).name)}"`;
  throw new UsageError(
    `the kubeconfig user "${name}" in ${source.where} gets its credentials from ${plugin}, and no context says whether werf uses it${context ? ` (current context "${context}" is in no kubeconfig werf reads)` : ''}`,
    "set current-context in the kubeconfig, or give werf --kube-context (or WERF_KUBE_CONTEXT): werf-run then runs that user's plugin here and hands werf its token",
  );
}
