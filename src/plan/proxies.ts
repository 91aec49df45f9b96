/**
 * Proxy settings for werf (pure): HTTP_PROXY, HTTPS_PROXY, NO_PROXY in either
 * case from this machine's environment, then the docker CLI's `proxies` from
 * config.json for the engine's host, applied as the CLI applies them to
 * `docker run` (docker/cli cli/config/configfile/file.go ParseProxyConfig:
 * the entry for the daemon's host, else "default"; each key sets both the
 * upper- and lower-case variable; a variable already set wins).
 */
export interface ProxyConfig {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
  ftpProxy?: string;
  allProxy?: string;
}

const FROM_ENV = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'] as const;
const CLI_KEYS: Record<keyof ProxyConfig, string> = {
  httpProxy: 'HTTP_PROXY',
  httpsProxy: 'HTTPS_PROXY',
  noProxy: 'NO_PROXY',
  ftpProxy: 'FTP_PROXY',
  allProxy: 'ALL_PROXY',
};

export function proxyEnv(input: {
  env: Readonly<Record<string, string | undefined>>;
  /** config.json's `proxies`, keyed by daemon host ("tcp://docker:2376") or "default". */
  proxies: Readonly<Record<string, ProxyConfig>>;
  /** The engine's endpoint, as the docker CLI names it (DOCKER_HOST form). */
  engineHost: string;
  /** Already set for werf (env.set): never overridden. */
  fixed: Readonly<Record<string, string>>;
  configFile: string;
}): { set: Record<string, string>; notes: string[] } {
  const set: Record<string, string> = {};
  const notes: string[] = [];
  const taken = (name: string): boolean => name in set || name in input.fixed;
  const fromEnv: string[] = [];
  for (const upper of FROM_ENV) {
    for (const name of [upper, upper.toLowerCase()]) {
      const value = input.env[name];
      if (value !== undefined && !taken(name)) {
        set[name] = value;
        fromEnv.push(name);
      }
    }
  }
  if (fromEnv.length > 0) notes.push(`proxy: ${fromEnv.join(', ')} passed from this machine's environment`);
  const key = input.proxies[input.engineHost] ? input.engineHost : 'default';
  const chosen = input.proxies[key];
  if (chosen) {
    const applied: string[] = [];
    for (const [field, upper] of Object.entries(CLI_KEYS) as [keyof ProxyConfig, string][]) {
      const value = chosen[field];
      if (!value) continue;
      for (const name of [upper, upper.toLowerCase()]) {
        // The docker CLI never overrides a variable the run sets itself.
        if (!taken(name) && input.env[name] === undefined) {
          set[name] = value;
          applied.push(name);
        }
      }
    }
    if (applied.length > 0)
      notes.push(`proxy: ${applied.join(', ')} from proxies["${key}"] in ${input.configFile}, as the docker CLI applies them`);
  }
  return { set, notes };
}
