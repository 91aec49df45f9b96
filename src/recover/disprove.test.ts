import { describe, expect, it } from 'vitest';
import { disprovedFacts } from './disprove.js';
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
