/** Builds ExportSpecs the way the CLI does (config -> plan -> spec), for the export renderers' tests. */
import { configSchema, type ConfigInput, type Mode } from '../src/config/schema.js';
import { exportSpecFor, type ExportSpec } from '../src/export/spec.js';

export interface FixtureInput {
  mode?: Mode;
  config?: ConfigInput;
  werfArgs?: string[];
  hostEnv?: Record<string, string>;
  cwd?: string;
  selinux?: boolean;
  usernsRemap?: boolean;
  ciEnv?: 'gitlab' | 'github';
}

export function specFor(input: FixtureInput = {}): ExportSpec {
  const config = configSchema.parse(input.config ?? {});
  const werfArgs = input.werfArgs ?? ['build', '--repo', 'registry.example/app'];
  return exportSpecFor({
    mode: input.mode ?? 'native',
    image: 'ghcr.io/werf/werf:2-stable-alpine',
    werfArgs,
    project: { root: '/home/u/app', cwd: input.cwd ?? '/home/u/app' },
    config,
    facts: { selinux: input.selinux ?? false, usernsRemap: input.usernsRemap ?? false },
    hostEnv: input.hostEnv ?? {
      WERF_REPO: 'registry.example/app',
      GITHUB_TOKEN: 'ghs_hostsecret',
      CI: 'true',
      WERF_RUN_MODE: 'auto',
      HOME: '/root',
    },
    projectName: 'hello',
    ...(input.ciEnv ? { exportCiEnv: input.ciEnv } : {}),
  });
}
