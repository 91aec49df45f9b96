/** The container settings each mode needs (pure). */
import type { Mode } from '../config/schema.js';

export interface SecurityFacts {
  /** The daemon labels containers with SELinux: buildah needs label=disable. */
  selinux: boolean;
  /** The daemon remaps user namespaces: privileged needs --userns=host. */
  usernsRemap: boolean;
}

export interface SecuritySettings {
  securityOpt: string[];
  devices: string[];
  privileged: boolean;
  usernsMode?: string;
}

export const FUSE_DEVICE = '/dev/fuse';

export function securityFor(mode: Mode, facts: SecurityFacts): SecuritySettings {
  const label = facts.selinux ? ['label=disable'] : [];
  switch (mode) {
    case 'default':
      // The engine's defaults, untouched: what a runner that cannot unconfine gives.
      return { securityOpt: [], devices: [], privileged: false };
    case 'native':
      return { securityOpt: ['seccomp=unconfined', 'apparmor=unconfined', ...label], devices: [], privileged: false };
    case 'fuse':
      return { securityOpt: ['seccomp=unconfined', 'apparmor=unconfined', ...label], devices: [FUSE_DEVICE], privileged: false };
    case 'privileged':
      return {
        securityOpt: label,
        devices: [],
        privileged: true,
        ...(facts.usernsRemap ? { usernsMode: 'host' } : {}),
      };
  }
}
