/**
 * The engine's registry environment for buildah in the werf container: the
 * daemon's mirrors and insecure registries (/info) as a registries.conf
 * drop-in, and on a local engine the CA and client-certificate files the
 * daemon reads from /etc/docker/certs.d/<registry>/ (plan/registries-conf.ts).
 * On a remote engine those files are on its host: named as not handed in.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { readIfExists } from '../files.js';
import type { InjectedFile } from '../plan/files.js';
import { certFilesFor, containersPaths, registriesConf, type RegistrySettings } from '../plan/registries-conf.js';

export const DOCKER_CERTS_DIR = '/etc/docker/certs.d';

const list = (dir: string): string[] => {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
};

export function registryEnvironment(input: {
  registry: RegistrySettings | undefined;
  engineLocal: boolean;
  certsDir: string;
  home: string;
}): { files: InjectedFile[]; notes: string[] } {
  const paths = containersPaths(input.home);
  const files: InjectedFile[] = [];
  const notes: string[] = [];
  const conf = input.registry ? registriesConf(input.registry) : undefined;
  if (conf) {
    files.push({ path: paths.dropIn, content: Buffer.from(conf), mode: 0o644 });
    const what = [
      input.registry!.mirrors.length ? `docker.io mirrors ${input.registry!.mirrors.join(', ')}` : '',
      input.registry!.insecure.length ? `insecure registries ${input.registry!.insecure.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    notes.push(`registries: the engine's ${what} handed to buildah as ${paths.dropIn}`);
  }
  const registries = list(input.certsDir);
  if (!input.engineLocal) {
    notes.push(
      `registries: the engine is not on this machine, so the CA files it reads (${input.certsDir} on its host) are not handed in; a pull that fails on x509 needs the CA mounted at ${paths.certsDir}/<registry>/ca.crt`,
    );
    return { files, notes };
  }
  for (const registry of registries) {
    const dir = path.join(input.certsDir, registry);
    for (const { file, secret } of certFilesFor(list(dir))) {
      const content = readIfExists(path.join(dir, file));
      if (!content) continue;
      files.push({
        path: path.posix.join(paths.certsDir, registry, file),
        content,
        mode: secret ? 0o600 : 0o644,
        ...(secret ? { secret: true } : {}),
      });
      notes.push(
        `registries: ${path.join(dir, file)} (the engine's, for ${registry}) handed to buildah as ${path.posix.join(paths.certsDir, registry, file)}`,
      );
    }
  }
  if (notes.length === 0)
    notes.push(
      `registries: nothing to hand buildah: the engine has no registry mirrors or insecure registries (/info RegistryConfig) and ${input.certsDir} holds no CA or client certificate files`,
    );
  return { files, notes };
}
