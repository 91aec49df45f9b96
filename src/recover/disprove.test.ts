import { describe, expect, it } from 'vitest';
import { disprovedFacts, learnedFromFailure } from './disprove.js';
import { mergeFindings, unknownFacts, type FactValues } from '../detect/facts.js';

const facts = (values: Partial<FactValues>) =>
  mergeFindings(unknownFacts(), 'cache', Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v, detail: 't' }])));

describe('disprovedFacts', () => {
  it('a missing device disproves a cached usable /dev/fuse', () => {
    expect(disprovedFacts('fuse-missing-on-host', 'fuse', facts({ fuseDevice: 'usable' }))).toEqual(['fuseDevice']);
    expect(disprovedFacts('fuse-missing-on-host', 'fuse', facts({ fuseDevice: 'missing' }))).toEqual([]);
  });
  it('a permission error disproves a usable /dev/fuse', () => {
    expect(disprovedFacts('fuse-permission', 'fuse', facts({ fuseDevice: 'usable' }))).toEqual(['fuseDevice']);
  });
  it('user namespaces denied under native disprove them; under the engine default they are expected', () => {
    expect(disprovedFacts('userns-denied', 'native', facts({ userNamespaces: true }))).toEqual(['userNamespaces']);
    expect(disprovedFacts('userns-denied', 'default', facts({ userNamespaces: true }))).toEqual([]);
  });
  it('an image that forces fuse-overlayfs says nothing about the host', () => {
    expect(disprovedFacts('fuse-not-in-container', 'native', facts({ rootlessOverlay: true, fuseDevice: 'usable' }))).toEqual([]);
  });
});

describe('learnedFromFailure', () => {
  it('a fuse attempt that meets a missing or unopenable device teaches what the probe in native could not see', () => {
    expect(learnedFromFailure('fuse-permission', 'fuse', unknownFacts(), 'Permission denied')).toEqual({
      fuseDevice: { value: 'no-permission', detail: 'the fuse attempt: Permission denied' },
    });
    expect(learnedFromFailure('fuse-missing-on-host', 'fuse', unknownFacts(), 'no /dev/fuse')).toMatchObject({
      fuseDevice: { value: 'missing' },
    });
  });
  it('teaches nothing where the fact is known, or the attempt had no device', () => {
    expect(learnedFromFailure('fuse-permission', 'fuse', facts({ fuseDevice: 'usable' }), 'x')).toEqual({});
    expect(learnedFromFailure('fuse-permission', 'native', unknownFacts(), 'x')).toEqual({});
    // Privileged sees every device as root: a permission error there is not the node's mode.
    expect(learnedFromFailure('fuse-permission', 'privileged', unknownFacts(), 'x')).toEqual({});
  });
});
