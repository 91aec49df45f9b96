/**
 * What werf-run never prints: values under secret-looking names and passwords
 * inside URLs. One rule for --dry-run, --verbose, exports and config errors.
 */

/**
 * Variable names whose values must never be printed: credentials by name, and
 * values that are whole secrets in disguise (JWTs, base64 kubeconfigs such as
 * WERF_KUBE_CONFIG_BASE64, kubeconfig contents).
 */
const SECRET_NAME = /(TOKEN|PASSWORD|PASSWD|SECRET|AUTH|CREDENTIAL|PRIVATE|_KEY$|^KEY$|APIKEY|API_KEY|JWT|BASE64|KUBE_?CONFIG_?(DATA|CONTENT)|CERT_?DATA)/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** user:password@ inside a URL (GitLab's CI_REPOSITORY_URL carries the job token this way, proxies their password). */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi;

/** Any user:password@ in a text with the password masked. */
function maskUrlPasswords(text: string): string {
  return text.replace(URL_PASSWORD, '$1<redacted>@');
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
  const keys = text.replace(KEY_VALUE, (whole, quote: string, key: string, colon: string, value: string) => (isSecretName(key) ? `${quote}${key}${quote}${colon}${stars(value)}` : whole));
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
  return isSecretName(name) || maskUrlPasswords(value) !== value;
}

/** KEY=VALUE with the value replaced when the name looks secret, and any URL password in the value masked. */
export function redactEnvEntry(entry: string): string {
  const eq = entry.indexOf('=');
  // A name alone (passed from the shell, as --export writes it) shows no value.
  if (eq < 0) return entry;
  const name = entry.slice(0, eq);
  if (isSecretName(name)) return `${name}=<redacted>`;
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
