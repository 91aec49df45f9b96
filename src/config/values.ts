/**
 * The allowed values of werf-run's enumerated settings, without zod: the CLI
 * needs them on every run (flag choices), the schema (schema.ts) builds on them.
 */
/**
 * The modes, least privileged first: the recovery ladder climbs this list.
 * `default` is the engine's default security (no options): auto never picks it,
 * it exists for `--mode default` (runners that cannot unconfine) and tests.
 */
export const MODES = ['default', 'native', 'fuse', 'privileged'] as const;
export type Mode = (typeof MODES)[number];
export const FUSE_STATES = ['usable', 'missing', 'no-permission'] as const;

export const GROUPS = ['1.1', '1.2', '2', '3'] as const;
export const CHANNELS = ['alpha', 'beta', 'ea', 'stable', 'rock-solid', 'dev'] as const;
export const DISTROS = ['alpine', 'ubuntu', 'centos', 'fedora'] as const;
export const PULL_POLICIES = ['missing', 'always', 'never'] as const;
