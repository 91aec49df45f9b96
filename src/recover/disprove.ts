/**
 * Which detected facts a failed attempt proves wrong (pure). When a cached
 * fact is disproved, the cache entry's probe result is dropped, so the next
 * run probes again instead of repeating the mistake.
 */
import type { Mode } from '../config/schema.js';
import type { FailureId } from './signatures.js';
import type { FactKey, Facts, Findings } from '../detect/facts.js';

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

/**
 * What a failed attempt teaches about an unknown /dev/fuse (pure): the probe
 * in werf's native container cannot see the device, so the first fuse attempt
 * is the test. Cached with the probe's findings, the next run stops at once
 * rather than making the same doomed attempt.
 */
export function learnedFromFailure(failure: FailureId, mode: Mode, facts: Facts, cause: string): Findings {
  if (facts.fuseDevice.value !== undefined || (mode !== 'fuse' && mode !== 'privileged')) return {};
  if (failure === 'fuse-missing-on-host') return { fuseDevice: { value: 'missing', detail: `the ${mode} attempt: ${cause}` } };
  if (failure === 'fuse-permission' && mode === 'fuse')
    return { fuseDevice: { value: 'no-permission', detail: `the fuse attempt: ${cause}` } };
  return {};
}
