/**
 * The kubeconfig werf gets: the files (or base64 data) werf would read on
 * this machine, flattened into one (plan/kubeconfig.ts) and handed in as a
 * secret file, only for werf commands that talk to a cluster.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
import { readIfExists } from '../files.js';
import { commonJs } from '../interop.js';
import type { InjectedFile } from '../plan/files.js';
import { clusterNeed } from '../plan/cluster-commands.js';
import {
  authProviderCredential,
  checkExpiry,
  execRequest,
  parseExecCredential,
  userWithCredential,
  werfTimeout,
  type Credential,
  type CredentialOwner,
} from '../plan/exec-credential.js';
import { flattenKubeconfig, kubeconfigSources, kubeFlags, withKubeConfigPath, type FlatKubeconfig } from '../plan/kubeconfig.js';
import type { LoopbackTarget } from '../plan/network.js';
import { runExecPlugin } from './exec-plugin.js';

export interface KubeAccess {
  file: InjectedFile | undefined;
  targets: LoopbackTarget[];
  notes: string[];
  warnings: string[];
  /** werf's arguments for the container: a --kube-config names the handed-in file. */
  werfArgs: readonly string[];
}

/**
 * For a command that contacts a cluster (plan/cluster-commands.ts), a
 * kubeconfig that cannot be handed in stops the run; for one that only may
 * read one (--validate, synchronization), it is a note and werf gets none.
 */
export async function kubeAccessForWerf(input: {
  env: Readonly<Record<string, string | undefined>>;
  hostHome: string;
  werfArgs: readonly string[];
  /** The image user's home. */
  home: string;
  /** Where werf-run runs: a relative --kube-config is resolved here. */
  cwd: string;
  /** Programs may run (an exec plugin): false for --dry-run. */
  mayRun: boolean;
  /** Whether stdin is a terminal (an interactive plugin may prompt); asked only for such a plugin. */
  terminal(): boolean;
  now: Date;
}): Promise<KubeAccess> {
  const need = clusterNeed(input.werfArgs, input.env);
  const none = (notes: string[]): KubeAccess => ({ file: undefined, targets: [], notes, warnings: [], werfArgs: input.werfArgs });
  if (need.use === 'none') return none([`kubeconfig: werf ${need.command} does not talk to a cluster (${need.why}); none handed in`]);
  if (need.use === 'cluster') return kubeconfigFor(input, none);
  try {
    return await kubeconfigFor(input, none);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return none([`kubeconfig: werf ${need.command} reads one only sometimes (${need.why}); none handed in: ${error.message}`]);
  }
}

async function kubeconfigFor(input: Parameters<typeof kubeAccessForWerf>[0], none: (notes: string[]) => KubeAccess): Promise<KubeAccess> {
  const flags = kubeFlags(input.werfArgs);
  const context = flags.context ?? input.env.WERF_KUBE_CONTEXT;
  const sources = kubeconfigSources(input.env, input.hostHome, flags, input.cwd);
  const { parse, stringify } = await loadYaml();
  const docs: Parameters<typeof flattenKubeconfig>[0]['docs'] = [];
  const notes: string[] = [];
  const parseDoc = (text: string, where: string): unknown => {
    try {
      return parse(text);
    } catch {
      // Never quote the text: a kubeconfig holds credentials.
      throw new UsageError(`the kubeconfig ${where} is not valid YAML`, `fix ${where}`);
    }
  };
  if (sources.base64) {
    docs.push({
      doc: parseDoc(Buffer.from(sources.base64.value, 'base64').toString('utf8'), sources.base64.name),
      source: { where: sources.base64.name },
    });
  }
  for (const file of sources.files) {
    const content = readIfExists(file);
    if (!content) {
      notes.push(`kubeconfig: no ${file}`);
      continue;
    }
    docs.push({ doc: parseDoc(content.toString('utf8'), file), source: { where: file, dir: path.dirname(file) } });
  }
  if (docs.length === 0) {
    if (flags.config)
      throw new UsageError(
        `werf's --kube-config names ${sources.files[0]}, which does not exist on this host`,
        'give --kube-config the path of a kubeconfig here (werf-run hands it in), or leave it out',
      );
    return none([...notes, 'kubeconfig: none on this host; werf gets none']);
  }
  const flat = flattenKubeconfig({ docs, context, readFile: readIfExists });
  const warnings: string[] = [];
  if (flat.plugin) {
    const credential = await pluginCredential(flat, input);
    notes.push(credential.note);
    if (credential.warning) warnings.push(credential.warning);
  }
  const target = path.posix.join(input.home, '.kube', 'config');
  const file: InjectedFile = { path: target, content: Buffer.from(stringify(flat.config)), mode: 0o600, secret: true };
  const from = docs.map((d) => d.source.where).join(', ');
  return {
    file,
    targets: flat.targets,
    warnings,
    notes: [
      ...notes,
      ...flat.notes,
      `kubeconfig: ${from} flattened${context ? ` and minified to context "${context}"` : ''}, handed to werf as ${target} (mode 0600)${flags.config ? "; werf's --kube-config names it" : ''}`,
    ],
    werfArgs: withKubeConfigPath(input.werfArgs, flags, target),
  };
}

/**
 * The used user's plugin run here, and its credential put in its place in
 * flat.config; for --dry-run only what would run.
 */
async function pluginCredential(
  flat: FlatKubeconfig,
  input: Parameters<typeof kubeAccessForWerf>[0],
): Promise<{ note: string; warning?: string }> {
  const plugin = flat.plugin!;
  const users = flat.config.users as { name: string; user: Record<string, unknown> }[];
  const entry = users.find((u) => u.name === plugin.user)!;
  const owner: CredentialOwner = { user: plugin.user, context: flat.context, where: plugin.source.where, dir: plugin.source.dir };
  let credential: Credential;
  if (plugin.kind === 'auth-provider') {
    credential = authProviderCredential(entry.user['auth-provider'] as Record<string, unknown>, owner);
  } else {
    const request = execRequest(entry.user.exec as Record<string, unknown>, owner, { terminal: input.terminal(), cluster: plugin.cluster });
    const line = [request.command, ...request.args].join(' ');
    if (!input.mayRun)
      return {
        note: `kubeconfig: user "${plugin.user}": a run would run its exec plugin here (${line}) and hand werf the credential it prints`,
      };
    credential = parseExecCredential(await runExecPlugin(request, owner, input.env), request, owner);
  }
  const expiry = checkExpiry(credential, owner, input.now, werfTimeout(input.werfArgs, input.env));
  entry.user = userWithCredential(entry.user, credential);
  return { note: `kubeconfig: user "${plugin.user}": ${expiry.note}`, ...(expiry.warning ? { warning: expiry.warning } : {}) };
}

/** The YAML library, loaded only for commands that talk to a cluster. */
export async function loadYaml(): Promise<typeof import('yaml')> {
  return commonJs(await import('yaml'), 'parse');
}
