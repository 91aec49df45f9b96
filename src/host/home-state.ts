/**
 * What werf keeps in its home between runs, besides the werf-run volumes:
 * - the global secret key: werf looks for $WERF_SECRET_KEY, then
 *   <project>/.werf_secret_key, then <werf home>/global_secret_key (werf/common-go
 *   pkg/secrets_manager/secret_key.go:44-99; werf home = $WERF_HOME or ~/.werf,
 *   werf pkg/werf/main.go:130). The host's key is handed in (0600, archive API,
 *   never written to this host's disk); it lands in the werf home volume, where
 *   werf looks for it.
 * - helm's state (`werf helm repo add`, `registry login`, nelm's Deno for
 *   TypeScript charts): helm keeps it in ~/.config/helm, ~/.cache/helm and
 *   ~/.local/share/helm unless HELM_CONFIG_HOME, HELM_CACHE_HOME and
 *   HELM_DATA_HOME say otherwise (helm pkg/helmpath). Those point into the werf
 *   home volume, so helm's state is kept per user like ~/.werf; the image has
 *   no such dirs to mount a fresh volume on (it would be root's).
 */
import path from 'node:path';
import { werfHomeDir } from '../plan/contract.js';
import { handover, type Handover } from './handover.js';

export interface HomeStateInput {
  env: Readonly<Record<string, string | undefined>>;
  hostHome: string;
  /** werf's home in the container. */
  home: string;
  read: (file: string) => Buffer | undefined;
}

export function globalSecretKey(input: HomeStateInput): Handover {
  const werfHome = input.env.WERF_HOME || path.join(input.hostHome, '.werf');
  const file = path.join(werfHome, 'global_secret_key');
  const content = input.read(file);
  if (!content) return handover({ notes: [`werf's global secret key: none at ${file}`] });
  const target = `${werfHomeDir(input.home)}/global_secret_key`;
  return handover({
    files: [{ path: target, content, mode: 0o600, secret: true }],
    notes: [`werf's global secret key ${file} handed in as ${target} (0600)`],
  });
}

export function helmState(input: HomeStateInput): Handover {
  const dir = `${werfHomeDir(input.home)}/werf-run/helm`;
  const env = { HELM_CONFIG_HOME: `${dir}/config`, HELM_CACHE_HOME: `${dir}/cache`, HELM_DATA_HOME: `${dir}/data` };
  return handover({
    env,
    dropEnv: ['HELM_REPOSITORY_CONFIG', 'HELM_REPOSITORY_CACHE', 'HELM_REGISTRY_CONFIG'],
    notes: [`helm's config, cache and data: ${dir} in the werf home volume (kept between runs)`],
  });
}
