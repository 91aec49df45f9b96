/**
 * What werf-run knows about the Docker daemon's host, and how each fact was
 * learned. A fact is either known (with its source and a short detail: the
 * evidence) or unknown (with why). Sources, most trusted first: an override
 * (config `detect.*` or `--detect`), the engine's /info, the cache, the probe
 * container.
 */
import type { Config } from '../config/schema.js';
import type { EngineInfo } from '../engine/port.js';
import type { IdRange } from './id-range.js';

/** A binfmt_misc entry as the probe container saw it in /proc/sys/fs/binfmt_misc. */
export interface BinfmtHandler {
  name: string;
  enabled: boolean;
  interpreter: string;
  /** e.g. "F" (the interpreter is opened at registration, so it works in containers), "POCF". */
  flags: string;
}

/** Which architectures' programs run in a container on the daemon's host (detect/arch-test.ts). */
export interface Binfmt {
  /** Per GOARCH tested: whether its test program ran (exit 42), with the evidence. */
  programs: Record<string, { runs: boolean; detail: string }>;
  /** The handlers the probe saw, or undefined when /proc/sys/fs/binfmt_misc is not mounted in a container (Docker's default). */
  handlers?: BinfmtHandler[];
}

export type FuseState = 'usable' | 'missing' | 'no-permission';

export interface FactValues {
  /** uid 1000 can create a user namespace in a container with the native settings. */
  userNamespaces: boolean;
  /** ... and mount overlayfs in it on a tmpfs (rootless overlay: native mode works). */
  rootlessOverlay: boolean;
  /** /dev/fuse on the daemon's host: present and openable by uid 1000, absent, or not openable. */
  fuseDevice: FuseState;
  /** /proc/sys/user/max_user_namespaces (0 disables user namespaces). */
  maxUserNamespaces: number;
  /** kernel.apparmor_restrict_unprivileged_userns (Ubuntu 23.10+); -1 when the host has no such sysctl. */
  apparmorRestrictUserns: number;
  /** kernel.unprivileged_userns_clone (old Debian kernels); -1 when absent. */
  unprivilegedUsernsClone: number;
  /** The daemon labels containers with SELinux. */
  selinux: boolean;
  /** The daemon runs with userns-remap. */
  usernsRemap: boolean;
  /** The daemon itself is rootless. */
  rootlessDaemon: boolean;
  /** The daemon applies AppArmor profiles. */
  apparmor: boolean;
  /** The uids/gids a container gets cover the image user's /etc/subuid and /etc/subgid ranges (rootless daemons often give too few). */
  idRange: IdRange;
  /** What the daemon's host runs for other architectures (its binfmt_misc handlers, as a container meets them). */
  binfmt: Binfmt;
}
export type FactKey = keyof FactValues;

export const FACT_KEYS: readonly FactKey[] = [
  'userNamespaces',
  'rootlessOverlay',
  'fuseDevice',
  'maxUserNamespaces',
  'apparmorRestrictUserns',
  'unprivilegedUsernsClone',
  'selinux',
  'usernsRemap',
  'rootlessDaemon',
  'apparmor',
  'idRange',
  'binfmt',
];

/** The facts only the probe container can learn (it runs when one of them is still unknown). */
export const PROBED_KEYS: readonly FactKey[] = [
  'userNamespaces',
  'rootlessOverlay',
  'fuseDevice',
  'maxUserNamespaces',
  'apparmorRestrictUserns',
  'unprivilegedUsernsClone',
  'idRange',
  'binfmt',
];

export type FactSource = 'override' | 'info' | 'cache' | 'probe';

interface Fact<T> {
  /** undefined: unknown. */
  value: T | undefined;
  source: FactSource | undefined;
  /** The evidence (e.g. "unshare -Ur: Operation not permitted"), or why it is unknown. */
  detail: string;
}

export type Facts = { [K in FactKey]: Fact<FactValues[K]> };

/** What one source of facts found: the values it knows, each with its evidence. */
export type Findings = { [K in FactKey]?: { value: FactValues[K]; detail: string } };

export function unknownFacts(): Facts {
  const facts = {} as Record<FactKey, Fact<unknown>>;
  for (const key of FACT_KEYS) facts[key] = { value: undefined, source: undefined, detail: 'not learned' };
  return facts as Facts;
}

/** Fills the facts still unknown from one source's findings (earlier sources win). */
export function mergeFindings(facts: Facts, source: FactSource, findings: Findings): Facts {
  const out = { ...facts } as Record<FactKey, Fact<unknown>>;
  for (const key of FACT_KEYS) {
    const found = findings[key];
    if (found !== undefined && out[key]!.value === undefined) out[key] = { value: found.value, source, detail: found.detail };
  }
  return out as Facts;
}

function securityNames(info: EngineInfo): Set<string> {
  const names = new Set<string>();
  for (const entry of info.securityOptions) {
    // "name=seccomp,profile=default" (Docker >= 1.13) or a bare "seccomp" (older).
    const named = /(?:^|,)name=([^,]+)/.exec(entry);
    names.add(named?.[1] ?? entry.split(',')[0] ?? entry);
  }
  return names;
}

/** What the engine's /info says (pure). */
export function findingsFromInfo(info: EngineInfo): Findings {
  const names = securityNames(info);
  const options = `SecurityOptions ${JSON.stringify(info.securityOptions)}`;
  return {
    selinux: { value: names.has('selinux'), detail: options },
    usernsRemap: { value: names.has('userns'), detail: options },
    rootlessDaemon: info.podman
      ? {
          value: info.podman.rootless || names.has('rootless'),
          detail: `/libpod/info host.security.rootless = ${info.podman.rootless}; uid map ${info.podman.uidmap || 'none'}`,
        }
      : { value: names.has('rootless'), detail: options },
    apparmor: { value: names.has('apparmor'), detail: options },
  };
}

/** The overrides from config `detect.*` and `--detect` (pure). */
export function findingsFromOverrides(detect: Config['detect']): Findings {
  const out: Findings = {};
  const set = <K extends FactKey>(key: K, value: FactValues[K] | undefined): void => {
    if (value !== undefined) (out as Record<FactKey, unknown>)[key] = { value, detail: `detect.${key} = ${JSON.stringify(value)}` };
  };
  set('userNamespaces', detect.userNamespaces);
  set('rootlessOverlay', detect.rootlessOverlay);
  set('fuseDevice', detect.fuseDevice);
  set('selinux', detect.selinux);
  set('usernsRemap', detect.usernsRemap);
  set('maxUserNamespaces', detect.maxUserNamespaces);
  set('apparmorRestrictUserns', detect.apparmorRestrictUserns);
  return out;
}
