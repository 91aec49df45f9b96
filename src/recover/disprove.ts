/**
 * Which detected facts a failed attempt proves wrong (pure). When a cached
 * fact is disproved, the cache entry's probe result is dropped, so the next
 * run probes again instead of repeating the mistake.
 */
import type { Mode } from '../config/schema.js';
import type { FailureId } from './signatures.js';
import type { FactKey, Facts } from '../detect/facts.js';

export function disprovedFacts(failure: FailureId, mode: Mode, facts: Facts): FactKey[] {
  switch (failure) {
    case 'userns-denied':
      // Under the engine's default security this is expected, not news about the host.
      return mode !== 'default' && facts.userNamespaces.value === true ? ['userNamespaces'] : [];
    case 'fuse-missing-on-host':
      return facts.fuseDevice.value !== undefined && facts.fuseDevice.value !== 'missing' ? ['fuseDevice'] : [];
    case 'fuse-permission':
      return facts.fuseDevice.value === 'usable' ? ['fuseDevice'] : [];
    case 'userns-disabled':
      return facts.userNamespaces.value === true ? ['userNamespaces'] : [];
    default:
      return [];
  }
}
