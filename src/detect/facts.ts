/**
 * What werf-run knows about the Docker daemon's host, and how it chose the mode.
 * Facts come from the engine's /info (and, later, a probe container and a cache).
 */
import type { Config, Mode } from '../config/schema.js';
import type { EngineInfo } from '../engine/port.js';

export interface HostFacts {
  engine: Pick<EngineInfo, 'id' | 'name' | 'product' | 'serverVersion' | 'kernelVersion' | 'operatingSystem' | 'storageDriver'>;
  selinux: boolean;
  usernsRemap: boolean;
  rootlessDaemon: boolean;
  apparmor: boolean;
  seccomp: boolean;
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

export function factsFromInfo(info: EngineInfo, overrides: Config['detect']): HostFacts {
  const names = securityNames(info);
  return {
    engine: {
      id: info.id,
      name: info.name,
      product: info.product,
      serverVersion: info.serverVersion,
      kernelVersion: info.kernelVersion,
      operatingSystem: info.operatingSystem,
      storageDriver: info.storageDriver,
    },
    selinux: overrides.selinux ?? names.has('selinux'),
    usernsRemap: names.has('userns'),
    rootlessDaemon: names.has('rootless'),
    apparmor: names.has('apparmor'),
    seccomp: names.has('seccomp'),
  };
}

export interface ModeChoice {
  mode: Mode;
  /** Each fact considered and what it ruled in or out, for --verbose and doctor. */
  reasons: string[];
}

/** The least-privileged mode the facts allow (pure). */
export function chooseMode(facts: HostFacts, config: Pick<Config, 'mode' | 'allowPrivileged' | 'detect'>): ModeChoice {
  if (config.mode !== 'auto') {
    return { mode: config.mode, reasons: [`mode forced to ${config.mode} by config or --mode`] };
  }
  const reasons: string[] = [];
  if (config.detect.rootlessOverlay === false) {
    reasons.push('rootless overlayfs is not available (override): native is ruled out');
    if (config.detect.fuseDevice !== undefined && config.detect.fuseDevice !== 'usable') {
      reasons.push(`/dev/fuse is ${config.detect.fuseDevice} (override): fuse is ruled out`);
      if (config.allowPrivileged) return { mode: 'privileged', reasons: [...reasons, 'privileged is allowed'] };
      return { mode: 'fuse', reasons: [...reasons, 'privileged is not allowed: trying fuse anyway'] };
    }
    return { mode: 'fuse', reasons: [...reasons, 'fuse-overlayfs with /dev/fuse'] };
  }
  reasons.push('native: seccomp and AppArmor unconfined is the least privilege werf needs');
  if (facts.selinux) reasons.push('SELinux is enforced by the daemon: adding label=disable');
  return { mode: 'native', reasons };
}
