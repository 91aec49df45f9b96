/**
 * The engine's registry settings for buildah in the werf container (pure):
 * the daemon's docker.io mirrors and insecure registries (/info
 * RegistryConfig) as a containers-registries.conf(5) drop-in, and the CA
 * files the daemon reads (/etc/docker/certs.d/<registry>/, docker's
 * "Verify repository client certificates") at the place containers/image
 * reads them for a rootless user ($HOME/.config/containers/certs.d, ahead of
 * /etc/containers/certs.d: containers/image pkg/docker/docker_client.go
 * dockerCertDir). A drop-in (registries.conf.d) is merged with the image's
 * own registries.conf, where $HOME/.config/containers/registries.conf would
 * replace it.
 */
import path from 'node:path';

export interface RegistrySettings {
  /** Docker's registry-mirrors (URLs), which apply to docker.io. */
  mirrors: readonly string[];
  /** Docker's insecure registries (host[:port]). */
  insecure: readonly string[];
}

/** host[:port][/path] of a mirror URL, and whether it speaks plain HTTP. */
function mirrorLocation(url: string): { location: string; insecure: boolean } {
  const match = /^(https?):\/\/(.+?)\/*$/i.exec(url.trim());
  return match
    ? { location: match[2]!, insecure: match[1]!.toLowerCase() === 'http' }
    : { location: url.trim().replace(/\/+$/, ''), insecure: false };
}

// TOML basic strings: the values are registry names and URLs (no control characters), which JSON quotes the same way.
const q = (value: string): string => JSON.stringify(value);

/** The drop-in's text, or undefined when the daemon has neither mirrors nor insecure registries. */
export function registriesConf(settings: RegistrySettings): string | undefined {
  if (settings.mirrors.length === 0 && settings.insecure.length === 0) return undefined;
  const insecure = new Set(settings.insecure);
  const lines = ["# Written by werf-run from the Docker engine's registry settings (/info RegistryConfig)."];
  if (settings.mirrors.length > 0) {
    lines.push('', '[[registry]]', 'prefix = "docker.io"', 'location = "docker.io"');
    for (const mirror of settings.mirrors) {
      const m = mirrorLocation(mirror);
      lines.push('', '[[registry.mirror]]', `location = ${q(m.location)}`);
      if (m.insecure || insecure.has(m.location)) lines.push('insecure = true');
    }
  }
  for (const name of settings.insecure) {
    // docker.io's own entry says Secure: true; an insecure docker.io is the mirror's business above.
    if (name === 'docker.io') continue;
    lines.push('', '[[registry]]', `location = ${q(name)}`, 'insecure = true');
  }
  return `${lines.join('\n')}\n`;
}

/** Where buildah (rootless, as the image user) reads them. */
export const containersPaths = (home: string) => ({
  dropIn: path.posix.join(home, '.config', 'containers', 'registries.conf.d', '50-werf-run.conf'),
  certsDir: path.posix.join(home, '.config', 'containers', 'certs.d'),
});

/** A registry directory of docker's certs.d and its files: which ones buildah gets (CA *.crt, client *.cert/*.key). */
export function certFilesFor(files: readonly string[]): { file: string; secret: boolean }[] {
  return files.filter((f) => /\.(crt|cert|key)$/.test(f)).map((file) => ({ file, secret: file.endsWith('.key') }));
}
