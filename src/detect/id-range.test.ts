import { describe, expect, it } from 'vitest';
import {
  availableIds,
  describeAdaptation,
  describeIdRange,
  fittingSubRanges,
  idAdaptation,
  idRange,
  idRangeRemedy,
  neededIds,
  parseIdMap,
  parseSubRanges,
  requiredSubordinateIds,
  subIdFile,
} from './id-range.js';

// As seen on the rig: a rootless Docker Engine whose user (uid 1001) owns 65536 ids from 1000000.
const ROOTLESS_65536 = parseIdMap('0 1001 1\n1 1000000 65536\n')!;
const ROOTFUL = parseIdMap('         0          0 4294967295\n')!;
const BUILD = { own: 1000, sub: parseSubRanges('100000:65536') };

describe('id-range arithmetic', () => {
  it('parses the maps and the subordinate ranges', () => {
    expect(ROOTLESS_65536).toEqual([
      { inside: 0, outside: 1001, count: 1 },
      { inside: 1, outside: 1000000, count: 65536 },
    ]);
    expect(parseIdMap('0 0')).toBeUndefined();
    expect(parseIdMap('')).toBeUndefined();
    expect(parseSubRanges('100000:65536 bad 5:1')).toEqual([
      { start: 100000, count: 65536 },
      { start: 5, count: 1 },
    ]);
  });

  it('counts the ids from 0 without a gap, in any order', () => {
    expect(availableIds(ROOTLESS_65536)).toBe(65537);
    expect(availableIds(ROOTFUL)).toBe(4294967295);
    expect(
      availableIds([
        { inside: 1, outside: 5, count: 10 },
        { inside: 0, outside: 1, count: 1 },
      ]),
    ).toBe(11);
    expect(
      availableIds([
        { inside: 0, outside: 1, count: 1 },
        { inside: 5, outside: 9, count: 10 },
      ]),
    ).toBe(1);
    expect(availableIds([])).toBe(0);
  });

  it("needs the user's own id and its whole subordinate range", () => {
    expect(neededIds(BUILD)).toBe(165536);
    expect(neededIds({ own: 1001, sub: parseSubRanges('165536:65536') })).toBe(231072);
    expect(neededIds({ own: 1000, sub: [] })).toBe(1001);
  });

  it("65536 ids are too small for werf's build user, 231072 are enough, a rootful daemon always is", () => {
    const small = idRange('build', { ...BUILD, map: ROOTLESS_65536 }, { ...BUILD, map: ROOTLESS_65536 });
    expect(small.enough).toBe(false);
    expect(small.uids).toMatchObject({ available: 65537, needed: 165536 });
    expect(requiredSubordinateIds(small)).toBe(165536);
    const big = parseIdMap('0 1001 1 1 1000000 231072')!;
    expect(idRange('build', { ...BUILD, map: big }, { ...BUILD, map: big }).enough).toBe(true);
    expect(idRange('build', { ...BUILD, map: ROOTFUL }, { ...BUILD, map: ROOTFUL }).enough).toBe(true);
    // Enough uids but too few gids is still too small.
    expect(idRange('build', { ...BUILD, map: big }, { ...BUILD, map: ROOTLESS_65536 }).enough).toBe(false);
  });

  it('says the numbers', () => {
    const small = idRange('build', { ...BUILD, map: ROOTLESS_65536 }, { ...BUILD, map: ROOTLESS_65536 });
    expect(describeIdRange(small)).toBe(
      'uids 0-65536 in the container, build needs up to 165535 (uid 1000, /etc/subuid 100000-165535); gids 0-65536 in the container, build needs up to 165535 (gid 1000, /etc/subgid 100000-165535)',
    );
  });
});

describe('the remedy', () => {
  const small = idRange('build', { ...BUILD, map: ROOTLESS_65536 }, { ...BUILD, map: ROOTLESS_65536 });
  it('names the line to add, the count and the restart for Docker', () => {
    const text = idRangeRemedy(small, 'docker', 'alice');
    expect(text).toContain('at least 165536 subordinate ids');
    expect(text).toContain('/etc/subuid and /etc/subgid put the line alice:524288:165536');
    expect(text).toContain('systemctl --user restart docker');
    expect(text).not.toContain('podman system migrate');
    expect(text).toMatch(/privileged mode cannot help/);
    expect(text).not.toMatch(/allow the privileged|allowPrivileged|--privileged/);
  });
  it('Podman: podman system migrate; unknown: both', () => {
    expect(idRangeRemedy(small, 'podman')).toContain('<daemon-user>:524288:165536');
    expect(idRangeRemedy(small, 'podman')).toContain('podman system migrate');
    expect(idRangeRemedy(small, 'podman')).not.toContain('systemctl');
    expect(idRangeRemedy(small, undefined)).toMatch(/systemctl --user restart docker.*podman system migrate/);
  });
});

describe('fittingSubRanges (the adaptation)', () => {
  it("with 65537 ids: every id but 0 and the user's own, 65536 ids inside buildah (0-65535: nobody included)", () => {
    expect(fittingSubRanges(65537, 1000)).toEqual([
      { start: 1, count: 999 },
      { start: 1001, count: 64536 },
    ]);
  });
  it('refuses when fewer than the minimum would remain', () => {
    expect(fittingSubRanges(65536, 1000)).toBeUndefined();
    expect(fittingSubRanges(2000, 1000, 1000)).toEqual([
      { start: 1, count: 999 },
      { start: 1001, count: 999 },
    ]);
  });
});

describe('idAdaptation', () => {
  const side = (count: number) => ({ own: 1000, map: parseIdMap(`0 1001 1 1 1000000 ${count}`)!, sub: parseSubRanges('100000:65536') });
  it('with 65536 ids: the fitting files, 0-65535 inside buildah, said with its limit', () => {
    const r = idRange('build', side(65536), side(65536));
    const a = idAdaptation(r)!;
    expect(a).toEqual({
      user: 'build',
      subuid: [
        { start: 1, count: 999 },
        { start: 1001, count: 64536 },
      ],
      subgid: [
        { start: 1, count: 999 },
        { start: 1001, count: 64536 },
      ],
      innerIds: 65536,
    });
    expect(subIdFile(a.user, a.subuid)).toBe('build:1:999\nbuild:1001:64536\n');
    expect(describeAdaptation(a, r)).toMatch(
      /only 65537 uids .* 100000-165535: .*build:1:999, build:1001:64536.* ids 0-65535 .* higher id fails/,
    );
  });
  it('none with enough ids, unknown ids, or too few for even 65536 inside', () => {
    expect(idAdaptation(idRange('build', side(231072), side(231072)))).toBeUndefined();
    expect(idAdaptation(undefined)).toBeUndefined();
    expect(idAdaptation(idRange('build', side(65535), side(65535)))).toBeUndefined();
  });
});
