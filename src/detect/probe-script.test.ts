import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProbeOutput, probeSpec } from './probe-script.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const values = (name: string) => Object.fromEntries(Object.entries(parseProbeOutput(fixture(name)).findings).map(([k, v]) => [k, v.value]));

// Real probe outputs from the rig (fixtures/README.md says how each was produced).
describe('parseProbeOutput', () => {
  it('an ordinary host: user namespaces, rootless overlay, a usable /dev/fuse, the sysctls', () => {
    expect(values('probe-ordinary.txt')).toEqual({
      maxUserNamespaces: 96365,
      apparmorRestrictUserns: -1,
      unprivilegedUsernsClone: -1,
      userNamespaces: true,
      rootlessOverlay: true,
      fuseDevice: 'usable',
    });
  });
  it('the default seccomp profile: no user namespace, with the evidence', () => {
    const parsed = parseProbeOutput(fixture('probe-default-security.txt'));
    expect(parsed.findings.userNamespaces).toEqual({ value: false, detail: expect.stringContaining('Operation not permitted') });
    expect(parsed.findings.rootlessOverlay?.value).toBe(false);
  });
  it('/dev/fuse at 0600', () => {
    expect(values('probe-fuse-0600.txt')).toMatchObject({ fuseDevice: 'no-permission', rootlessOverlay: true });
  });
  it('no device in the container: fuse stays unknown (the engine, not the script, tells "missing")', () => {
    const parsed = parseProbeOutput(fixture('probe-no-fuse-device.txt'));
    expect(parsed.findings.fuseDevice).toBeUndefined();
    expect(parsed.unknown.fuseDevice).toContain('not in the container');
  });
  it('an image without unshare: unknown with the reason, not a guess', () => {
    const parsed = parseProbeOutput(fixture('probe-without-unshare.txt'));
    expect(parsed.findings.userNamespaces).toBeUndefined();
    expect(parsed.findings.rootlessOverlay).toBeUndefined();
    expect(parsed.unknown).toMatchObject({
      userNamespaces: 'the image has no unshare',
      rootlessOverlay: expect.stringContaining('unshare'),
    });
  });
  it('a script that never ran leaves everything unknown, saying why', () => {
    const parsed = parseProbeOutput(fixture('probe-no-shell.txt'));
    expect(parsed.findings).toEqual({});
    expect(parsed.unknown.userNamespaces).toMatch(/did not run: .*nonexistent/);
  });
});

describe('parseProbeOutput: the id range', () => {
  it('an ordinary daemon gives every id: enough', () => {
    const found = parseProbeOutput(fixture('probe-ids-rootful.txt')).findings.idRange;
    expect(found?.value).toMatchObject({ enough: true, user: 'build', uids: { available: 4294967295, needed: 165536, own: 1000 } });
  });
  it('a rootless daemon whose user owns 65536 ids: too small, with the numbers', () => {
    const found = parseProbeOutput(fixture('probe-ids-rootless-65536.txt')).findings.idRange;
    expect(found?.value).toMatchObject({
      enough: false,
      uids: { available: 65537, needed: 165536, sub: [{ start: 100000, count: 65536 }] },
      gids: { available: 65537 },
    });
    expect(found?.detail).toContain('uids 0-65536 in the container, build needs up to 165535');
  });
  it('an older probe output (no id lines) leaves it unknown, saying why', () => {
    const parsed = parseProbeOutput(fixture('probe-ordinary.txt'));
    expect(parsed.findings.idRange).toBeUndefined();
    expect(parsed.unknown.idRange).toContain('did not report its id maps');
  });
});

describe('probeSpec: the network', () => {
  const target = { image: 'werf', user: 'build', labels: {} };
  it('none, unless the user gave werf the host network: then the host network, no more than werf gets', () => {
    expect(probeSpec(target, true).networkMode).toBe('none');
    expect(probeSpec({ ...target, network: 'host' }, true).networkMode).toBe('host');
    // Everything else is the same probe.
    const { networkMode: _a, ...none } = probeSpec(target, true);
    const { networkMode: _b, ...host } = probeSpec({ ...target, network: 'host' }, true);
    expect(host).toEqual(none);
  });
});
