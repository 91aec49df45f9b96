import { describe, expect, it } from 'vitest';
import type { Mode } from '../config/schema.js';
import { chooseMode } from './choose.js';
import { idRange } from './id-range.js';
import { mergeFindings, unknownFacts, type FactValues, type Facts } from './facts.js';

const facts = (values: Partial<FactValues>): Facts => {
  const findings = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v, detail: 'test' }]));
  return mergeFindings(unknownFacts(), 'probe', findings);
};
const auto = { mode: 'auto' as const, allowPrivileged: false };
const allowed = { mode: 'auto' as const, allowPrivileged: true };
const ok = { userNamespaces: true, rootlessOverlay: true, fuseDevice: 'usable' as const };

describe('chooseMode decision table', () => {
  it.each<[string, Partial<FactValues>, boolean, Mode | undefined]>([
    ['ordinary host', ok, false, 'native'],
    ['nothing known: least privileged, recovery climbs', {}, false, 'native'],
    ['no rootless overlay, /dev/fuse usable', { ...ok, rootlessOverlay: false }, false, 'fuse'],
    ['no rootless overlay, /dev/fuse unknown', { userNamespaces: true, rootlessOverlay: false }, false, 'fuse'],
    ['no rootless overlay, no /dev/fuse', { ...ok, rootlessOverlay: false, fuseDevice: 'missing' }, false, undefined],
    [
      'no rootless overlay, no /dev/fuse, privileged allowed: privileged needs fuse too',
      { ...ok, rootlessOverlay: false, fuseDevice: 'missing' },
      true,
      undefined,
    ],
    ['no rootless overlay, /dev/fuse 0600', { ...ok, rootlessOverlay: false, fuseDevice: 'no-permission' }, true, undefined],
    ['rootless overlay, no /dev/fuse: native needs none', { ...ok, fuseDevice: 'missing' }, false, 'native'],
    ['rootless overlay, /dev/fuse 0600', { ...ok, fuseDevice: 'no-permission' }, false, 'native'],
    ['no user namespace unconfined, privileged not allowed', { userNamespaces: false, rootlessOverlay: false }, false, undefined],
    ['no user namespace unconfined, privileged allowed', { userNamespaces: false, rootlessOverlay: false }, true, 'privileged'],
    [
      'Ubuntu AppArmor restriction: nothing, privileged or not',
      { apparmorRestrictUserns: 1, userNamespaces: true, rootlessOverlay: false },
      true,
      undefined,
    ],
    ['max_user_namespaces 0', { maxUserNamespaces: 0, userNamespaces: false, rootlessOverlay: false }, true, undefined],
    ['AppArmor sysctl set but the probe mounted overlay anyway: trust the probe', { ...ok, apparmorRestrictUserns: 1 }, false, 'native'],
  ])('%s', (_name, values, allowPrivileged, mode) => {
    expect(chooseMode(facts(values), allowPrivileged ? allowed : auto).mode).toBe(mode);
  });

  it('records each fact and what it ruled out', () => {
    const choice = chooseMode(facts({ ...ok, rootlessOverlay: false, fuseDevice: 'missing' }), auto);
    expect(choice.ruledOut).toMatchObject({
      native: expect.stringContaining('rootlessOverlay=false'),
      fuse: expect.stringContaining('fuseDevice=missing'),
    });
    expect(choice.problems).toEqual([expect.objectContaining({ fact: 'fuseDevice', remedy: expect.stringContaining('modprobe fuse') })]);
  });

  it('never picks the engine default, and never privileged without permission', () => {
    for (const values of [ok, {}, { userNamespaces: false }]) {
      expect(chooseMode(facts(values), auto).mode).not.toBe('default');
      expect(chooseMode(facts(values), auto).mode).not.toBe('privileged');
    }
  });

  it('starts with the remembered mode when the facts still allow it, and says so', () => {
    expect(chooseMode(facts(ok), auto, 'fuse')).toMatchObject({
      mode: 'fuse',
      reasons: expect.arrayContaining([expect.stringContaining('worked last time')]),
    });
  });

  it.each<[string, Partial<FactValues>, Mode]>([
    ['privileged, now not allowed', ok, 'privileged'],
    ['fuse, now that /dev/fuse is missing', { ...ok, fuseDevice: 'missing' }, 'fuse'],
  ])('a remembered mode the facts no longer allow is not taken: %s', (_what, values, remembered) => {
    expect(chooseMode(facts(values), auto, remembered).mode).toBe('native');
  });

  it('a forced mode is taken as it is; forced privileged needs permission', () => {
    expect(chooseMode(facts(ok), { mode: 'default', allowPrivileged: false }).mode).toBe('default');
    expect(chooseMode(facts({ fuseDevice: 'missing' }), { mode: 'fuse', allowPrivileged: false }).mode).toBe('fuse');
    expect(() => chooseMode(facts(ok), { mode: 'privileged', allowPrivileged: false })).toThrow(/not allowed/);
    expect(chooseMode(facts(ok), { mode: 'privileged', allowPrivileged: true }).mode).toBe('privileged');
  });

  it('names the Ubuntu sysctl for the AppArmor restriction', () => {
    const choice = chooseMode(facts({ apparmorRestrictUserns: 1, userNamespaces: true, rootlessOverlay: false }), auto);
    expect(choice.problems[0]?.remedy).toContain('sysctl -w kernel.apparmor_restrict_unprivileged_userns=0');
  });
});

describe('chooseMode: the id range', () => {
  const map = (count: number) => [
    { inside: 0, outside: 1001, count: 1 },
    { inside: 1, outside: 1000000, count },
  ];
  const side = (count: number) => ({ own: 1000, map: map(count), sub: [{ start: 100000, count: 65536 }] });
  const small = idRange('build', side(65535), side(65535));
  it('too few ids even for the adaptation rule out every mode, forced or allowed, with the fix naming the numbers and no privileged advice', () => {
    for (const config of [
      auto,
      allowed,
      { mode: 'native' as const, allowPrivileged: false },
      { mode: 'privileged' as const, allowPrivileged: true },
    ]) {
      const choice = chooseMode(facts({ ...ok, idRange: small }), config, undefined, { product: 'docker', daemonUser: 'alice' });
      expect(choice.mode).toBeUndefined();
      expect(choice.problems).toHaveLength(1);
      expect(choice.problems[0]!.remedy).toContain('alice:524288:165536');
      expect(choice.problems[0]!.remedy).toContain('the same 65536 ids');
      expect(choice.problems[0]!.remedy).toContain('systemctl --user restart docker');
      expect(choice.problems[0]!.remedy).not.toMatch(/allow the privileged/);
    }
  });
  it('65536 ids (65537 in the container): native with the fitting /etc/subuid, the problem and its fix still listed', () => {
    const choice = chooseMode(facts({ ...ok, idRange: idRange('build', side(65536), side(65536)) }), auto, undefined, {
      product: 'podman',
    });
    expect(choice.mode).toBe('native');
    expect(choice.reasons).toContainEqual(expect.stringContaining('handing in one that fits'));
    expect(choice.problems[0]).toMatchObject({
      fact: 'idRange',
      problem: expect.stringContaining('build:1:999'),
      remedy: expect.stringContaining('podman system migrate'),
    });
  });
  it('enough ids change nothing', () => {
    expect(chooseMode(facts({ ...ok, idRange: idRange('build', side(231072), side(231072)) }), auto)).toMatchObject({
      mode: 'native',
      problems: [],
    });
  });
});
