/**
 * Kubeconfig users whose credentials come from a program (pure parts): the
 * request an exec plugin gets, its ExecCredential answer, and the user werf
 * gets instead (a token or a client certificate, since the werf image has
 * none of the plugins: aws, gke-gcloud-auth-plugin, kubelogin).
 * As kubectl does it: kubernetes/client-go plugin/pkg/client/auth/exec/exec.go
 * (at 32ce75a: newAuthenticator 166-230, isInteractive 234-259,
 * refreshCredsLocked 436-545) and tools/clientcmd/loader.go (a command with a
 * path separator is relative to its kubeconfig's directory).
 */
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import { UsageError } from '../errors.js';

type Obj = Record<string, unknown>;

const API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];

export interface ExecRequest {
  command: string;
  args: string[];
  /** The plugin's own variables (added to this process's environment), KUBERNETES_EXEC_INFO included. */
  env: Record<string, string>;
  /** The plugin gets the terminal's stdin (interactiveMode allows it and stdin is a terminal). */
  interactive: boolean;
  apiVersion: string;
}

/** Who asks: the user's name and context, and the kubeconfig it came from (for messages). */
export interface CredentialOwner {
  user: string;
  context: string | undefined;
  where: string;
  /** The kubeconfig's directory (a relative command is resolved there). */
  dir: string | undefined;
}

const who = (o: CredentialOwner): string => `the kubeconfig user "${o.user}"${o.context ? ` (context "${o.context}")` : ''} in ${o.where}`;

/**
 * What to run for an exec user. Refuses up front (exit 2) what kubectl would
 * refuse, and a plugin that must have a terminal (interactiveMode Always, a
 * browser or password prompt) when this run has none.
 */
export function execRequest(exec: Obj, owner: CredentialOwner, input: { terminal: boolean; cluster: Obj }): ExecRequest {
  const apiVersion = typeof exec.apiVersion === 'string' ? exec.apiVersion : '';
  if (!API_VERSIONS.includes(apiVersion)) {
    throw new UsageError(
      `${who(owner)} has an exec plugin with apiVersion "${apiVersion}", which kubectl does not run (exec plugin: invalid apiVersion)`,
      `use ${API_VERSIONS.join(' or ')} in ${owner.where}`,
    );
  }
  let command = String(exec.command);
  if (command.includes('/') && !path.isAbsolute(command) && owner.dir) command = path.join(owner.dir, command);
  const args = Array.isArray(exec.args) ? exec.args.map(String) : [];
  const env: Record<string, string> = {};
  for (const entry of Array.isArray(exec.env) ? exec.env : []) {
    const e = entry as Obj;
    if (typeof e.name === 'string') env[e.name] = String(e.value ?? '');
  }
  // v1beta1 defaults to IfAvailable; v1 requires the field (clientcmd validation).
  const mode =
    typeof exec.interactiveMode === 'string' && exec.interactiveMode
      ? exec.interactiveMode
      : apiVersion.endsWith('v1beta1')
        ? 'IfAvailable'
        : '';
  let interactive: boolean;
  if (mode === 'Never') interactive = false;
  else if (mode === 'IfAvailable') interactive = input.terminal;
  else if (mode === 'Always') {
    if (!input.terminal) {
      throw new UsageError(
        `${who(owner)} gets its credentials from the exec plugin "${exec.command}", which must talk to you (interactiveMode: Always: a browser login or a prompt), and this run has no terminal`,
        `log in once where there is a terminal (run \`kubectl get --raw /version\` there, which caches the plugin's login), or give werf a token-based kubeconfig (KUBECONFIG, WERF_KUBE_CONFIG_BASE64)`,
      );
    }
    interactive = true;
  } else {
    throw new UsageError(
      `${who(owner)} has an exec plugin with interactiveMode "${mode}"`,
      `set interactiveMode to Never, IfAvailable or Always in ${owner.where}`,
    );
  }
  const spec: Obj = { interactive };
  if (exec.provideClusterInfo === true) spec.cluster = clusterInfo(input.cluster);
  env.KUBERNETES_EXEC_INFO = JSON.stringify({ apiVersion, kind: 'ExecCredential', spec });
  return { command, args, env, interactive, apiVersion };
}

/** client.authentication.k8s.io Cluster: what provideClusterInfo gives the plugin. */
function clusterInfo(cluster: Obj): Obj {
  const out: Obj = { server: cluster.server };
  if (cluster['tls-server-name']) out.tlsServerName = cluster['tls-server-name'];
  if (cluster['insecure-skip-tls-verify']) out.insecureSkipTLSVerify = true;
  if (cluster['certificate-authority-data']) out['certificate-authority-data'] = cluster['certificate-authority-data'];
  if (cluster['proxy-url']) out.proxyURL = cluster['proxy-url'];
  const ext = (Array.isArray(cluster.extensions) ? cluster.extensions : []).find(
    (e) => (e as Obj).name === 'client.authentication.k8s.io/exec',
  ) as Obj | undefined;
  if (ext) out.config = ext.extension;
  return out;
}

/** A credential werf can use without the plugin. */
export interface Credential {
  token?: string;
  /** PEM. */
  clientCertificateData?: string;
  /** PEM. */
  clientKeyData?: string;
  /** When it stops working (undefined: the plugin did not say). */
  expires?: Date;
  /** What produced it, for notes (never the secret). */
  from: string;
}

/** The plugin's stdout, checked as client-go checks it (the same messages). */
export function parseExecCredential(stdout: string, request: ExecRequest, owner: CredentialOwner): Credential {
  const fail = (why: string): never => {
    throw new UsageError(
      `${who(owner)}: the exec plugin "${request.command}" ${why}`,
      `run it yourself to see what it says: ${[request.command, ...request.args].join(' ')}`,
    );
  };
  let cred: Obj;
  try {
    cred = JSON.parse(stdout) as Obj;
  } catch {
    // Never quote the output: it may hold a token.
    return fail('printed something that is not an ExecCredential (decoding stdout)');
  }
  if (cred?.kind !== 'ExecCredential') fail('printed something that is not an ExecCredential (no kind: ExecCredential)');
  if (cred.apiVersion !== request.apiVersion)
    fail(`is configured to use API version ${request.apiVersion}, plugin returned version ${String(cred.apiVersion)}`);
  const status = cred.status as Obj | undefined;
  if (!status || typeof status !== 'object') return fail("didn't return a status field");
  const token = typeof status.token === 'string' ? status.token : '';
  const cert = typeof status.clientCertificateData === 'string' ? status.clientCertificateData : '';
  const key = typeof status.clientKeyData === 'string' ? status.clientKeyData : '';
  if (!token && !cert && !key) fail("didn't return a token or cert/key pair");
  if (!cert !== !key) fail('returned only certificate or key, not both');
  let expires: Date | undefined;
  if (typeof status.expirationTimestamp === 'string' && status.expirationTimestamp) {
    expires = new Date(status.expirationTimestamp);
    if (Number.isNaN(expires.getTime())) fail(`returned an expirationTimestamp that is not a time: ${status.expirationTimestamp}`);
  } else if (cert) {
    // client-go takes the leaf certificate's NotAfter when there is no expirationTimestamp.
    try {
      expires = new Date(new X509Certificate(cert).validTo);
    } catch {
      fail('returned a client certificate that does not parse (failed parsing client key/certificate)');
    }
  }
  return {
    ...(token ? { token } : {}),
    ...(cert ? { clientCertificateData: cert, clientKeyData: key } : {}),
    ...(expires ? { expires } : {}),
    from: `the exec plugin "${request.command}"`,
  };
}

/** The expiry (exp, seconds) of a JWT, without checking it: werf's cluster checks it. */
export function jwtExpiry(token: string): Date | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Obj).exp;
    return typeof exp === 'number' ? new Date(exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An auth-provider user (client-go's oidc, the legacy gcp, azure): werf gets the
 * credential the provider left in the file (oidc's id-token, gcp's
 * access-token with its expiry); a provider with none stops the run.
 */
export function authProviderCredential(provider: Obj, owner: CredentialOwner): Credential {
  const name = String(provider.name);
  const config = (provider.config && typeof provider.config === 'object' ? provider.config : {}) as Obj;
  const token = name === 'oidc' ? config['id-token'] : name === 'gcp' || name === 'azure' ? config['access-token'] : undefined;
  if (typeof token !== 'string' || !token) {
    throw new UsageError(
      `${who(owner)} uses the auth-provider "${name}", and the kubeconfig holds no ${name === 'oidc' ? 'id-token' : 'access-token'} werf could use (the provider is a program werf's image does not have)`,
      name === 'gcp'
        ? 'switch to gke-gcloud-auth-plugin (an exec plugin werf-run runs here: gcloud components install gke-gcloud-auth-plugin, then gcloud container clusters get-credentials CLUSTER)'
        : `log in again so the kubeconfig holds a current token (kubectl get --raw /version refreshes it), or give werf a token-based kubeconfig`,
    );
  }
  const expiry = typeof config.expiry === 'string' ? new Date(config.expiry) : undefined;
  const expires = expiry && !Number.isNaN(expiry.getTime()) ? expiry : jwtExpiry(token);
  return {
    token,
    ...(expires ? { expires } : {}),
    from: `the auth-provider "${name}"'s ${name === 'oidc' ? 'id-token' : 'access-token'} in ${owner.where}`,
  };
}

/** The user as werf gets it: the credential in place of the plugin. */
export function userWithCredential(user: Obj, cred: Credential): Obj {
  const out: Obj = { ...user };
  delete out.exec;
  delete out['auth-provider'];
  if (cred.token) out.token = cred.token;
  if (cred.clientCertificateData && cred.clientKeyData) {
    out['client-certificate-data'] = Buffer.from(cred.clientCertificateData).toString('base64');
    out['client-key-data'] = Buffer.from(cred.clientKeyData).toString('base64');
  }
  return out;
}

/** How much longer than now a credential must last so werf can at least start (and the clocks may differ a little). */
const MARGIN_S = 60;

/**
 * The credential's lifetime against the run: werf cannot renew it in its
 * container (no plugin there), so a credential already expired, or expiring
 * before the run's known bound (werf's --timeout, WERF_TIMEOUT, seconds),
 * stops the run up front; otherwise a note says until when it works.
 */
export function checkExpiry(
  cred: Credential,
  owner: CredentialOwner,
  now: Date,
  boundSeconds?: number,
): { note: string; warning?: string } {
  if (!cred.expires) return { note: `${cred.from} gave werf a credential with no expiry` };
  const left = Math.floor((cred.expires.getTime() - now.getTime()) / 1000);
  const until = `${cred.expires.toISOString()} (${left >= 0 ? `in ${humanSeconds(left)}` : `${humanSeconds(-left)} ago`})`;
  const need = Math.max(MARGIN_S, boundSeconds ?? 0);
  if (left < need) {
    throw new UsageError(
      `${who(owner)}: the credential from ${cred.from} expires at ${until}, ${boundSeconds && left >= MARGIN_S ? `before werf's --timeout of ${humanSeconds(boundSeconds)} could end` : 'too soon for werf to use it'}; werf cannot renew it inside its container`,
      boundSeconds && left >= MARGIN_S
        ? 'lower --timeout, or get a longer-lived credential (a ServiceAccount token: kubectl create token NAME --duration=2h)'
        : 'log in again (the plugin or provider renews it), then rerun',
    );
  }
  return {
    note: `${cred.from} gave werf a credential valid until ${until}`,
    ...(left < 3600
      ? {
          warning: `the cluster credential of ${who(owner)} expires at ${until}; werf cannot renew it in its container, so a longer run loses access to the cluster`,
        }
      : {}),
  };
}

function humanSeconds(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

/** werf's --timeout / -t (seconds; common.SetupTrackTimeout, cmd/werf/common/common.go:1219) or WERF_TIMEOUT. */
export function werfTimeout(werfArgs: readonly string[], env: Readonly<Record<string, string | undefined>>): number | undefined {
  let value = env.WERF_TIMEOUT;
  for (let i = 0; i < werfArgs.length; i++) {
    const arg = werfArgs[i]!;
    if (arg === '--') break;
    if (arg === '--timeout' || arg === '-t') value = werfArgs[i + 1];
    else if (arg.startsWith('--timeout=') || arg.startsWith('-t=')) value = arg.slice(arg.indexOf('=') + 1);
  }
  const n = value === undefined ? NaN : Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
