/**
 * What werf-run never prints: values under secret-looking names and passwords
 * inside URLs. One rule for --dry-run, --verbose, exports and config errors.
 */

/**
 * Variable names whose values must never be printed: credentials by name, and
 * values that are whole secrets in disguise (JWTs, base64 kubeconfigs such as
 * WERF_KUBE_CONFIG_BASE64, kubeconfig contents).
 */
const SECRET_NAME =
  /(TOKEN|PASSWORD|PASSWD|PASSPHRASE|SECRET|AUTH|CREDENTIAL|PRIVATE|_KEY$|^KEY$|APIKEY|API_KEY|JWT|BASE64|KUBE_?CONFIG_?(DATA|CONTENT)|CERT_?DATA|_PASS$|^PASS$|_PWD$|(^|_)PAT$|WEBHOOK|(^|_)DSN$)/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** user:password@ inside a URL (GitLab's CI_REPOSITORY_URL carries the job token this way, proxies their password). */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi;
/** A token as the whole userinfo of an http(s) URL (https://ghp_xxx@github.com/...). */
const URL_TOKEN = /(\bhttps?:\/\/)[^\s:/@]+@/gi;
/** URLs that are secrets themselves: chat webhooks (whoever has one may post). */
const SECRET_URL = /\bhttps?:\/\/(hooks\.slack\.com\/|discord(app)?\.com\/api\/webhooks\/|[a-z0-9.-]*webhook\.office\.com\/)\S*/gi;

/** Any user:password@, token@ or webhook URL in a text, masked. */
function maskUrlPasswords(text: string): string {
  return text.replace(URL_PASSWORD, '$1<redacted>@').replace(URL_TOKEN, '$1<redacted>@').replace(SECRET_URL, '<redacted webhook URL>');
}

/** A werf --set value (`a.b.password=v`, comma-separated pairs) with the values of secret-looking keys masked. */
function maskSetValues(value: string): string {
  return value
    .split(',')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      const key = pair.slice(0, eq);
      return isSecretName(key.split('.').pop() ?? key) ? `${key}=<redacted>` : `${key}=${maskUrlPasswords(pair.slice(eq + 1))}`;
    })
    .join(',');
}

/** werf's `--set`, `--set-string` (and `=`-joined forms) in werf's arguments, with secret-looking keys' values masked: for what werf-run prints. */
export function redactWerfArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    const joined = /^(--set(?:-string|-json|-literal)?)=(.*)$/s.exec(arg);
    if (joined) out.push(`${joined[1]}=${maskSetValues(joined[2]!)}`);
    else if (/^--set(-string|-json|-literal)?$/.test(arg) && i + 1 < args.length) {
      out.push(arg, maskSetValues(args[i + 1]!));
      i += 1;
    } else out.push(maskUrlPasswords(arg));
  }
  return out;
}

/** werf's WERF_SET_* variables hold `key=value`: secret when the key looks secret. */
function isSecretSet(name: string, value: string): boolean {
  return /^WERF_SET_/.test(name) && maskSetValues(value) !== value;
}

/** `key: value` or `"key": value` in a line of JSON or YAML; the value up to the next , { } [ ] or the line's end. */
const KEY_VALUE = /(["']?)([A-Za-z_][\w.-]*)\1([ \t]*:[ \t]*)("(?:[^"\\\n]|\\.)*"?|'[^'\n]*'?|[^,{}[\]\n]+)/g;

const stars = (text: string): string => text.replace(/[^"'\s]/g, '*');

/**
 * A config file's text (or a parser's message and code frame) with the values
 * of secret-looking keys and URL passwords starred out, character for
 * character, so that line, column and caret still point where they did: a
 * file that does not parse may hold a token on the very line the frame shows.
 */
export function maskSecretsInText(text: string): string {
  const keys = text.replace(KEY_VALUE, (whole, quote: string, key: string, colon: string, value: string) =>
    isSecretName(key) ? `${quote}${key}${quote}${colon}${stars(value)}` : whole,
  );
  return keys.replace(URL_PASSWORD, (whole, head: string) => `${head}${'*'.repeat(whole.length - head.length - 1)}@`);
}

/**
 * KEY=VALUE as a `docker run --env` argument to paste: a secret (by name, or a
 * URL carrying a password) as its name alone, so the docker CLI takes the value
 * from the pasting shell's environment instead of a literal "<redacted>".
 */
export function pasteableEnvEntry(entry: string): string {
  const eq = entry.indexOf('=');
  if (eq < 0) return entry;
  const name = entry.slice(0, eq);
  return isSecretEntry(name, entry.slice(eq + 1)) ? name : entry;
}

/** A value that must not be written out under its name: a secret-looking name, or a URL that carries a password. */
export function isSecretEntry(name: string, value: string): boolean {
  return isSecretName(name) || isSecretSet(name, value) || maskUrlPasswords(value) !== value;
}

/** KEY=VALUE with the value replaced when the name looks secret, and any URL password in the value masked. */
export function redactEnvEntry(entry: string): string {
  const eq = entry.indexOf('=');
  // A name alone (passed from the shell, as --export writes it) shows no value.
  if (eq < 0) return entry;
  const name = entry.slice(0, eq);
  if (isSecretName(name)) return `${name}=<redacted>`;
  if (/^WERF_SET_/.test(name)) return `${name}=${maskSetValues(entry.slice(eq + 1))}`;
  return maskUrlPasswords(entry);
}

/**
 * A config value safe to print: anything under a secret-looking key (at any
 * depth) becomes "<redacted>", and URL passwords in strings are masked.
 */
export function redactValue(value: unknown, secret = false): unknown {
  if (secret && value !== undefined) return '<redacted>';
  if (typeof value === 'string') return maskUrlPasswords(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactValue(item, isSecretName(key))]));
  }
  return value;
}
