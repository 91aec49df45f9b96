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

describe('parseProbeOutput: cross-architecture test programs and binfmt_misc', () => {
  it('the rig (amd64, no handlers): the amd64 program ran, the arm64 one met "Exec format error"; the mount is not in the container', () => {
    const found = parseProbeOutput(fixture('probe-binfmt.txt')).findings.binfmt;
    expect(found?.value).toEqual({
      programs: {
        amd64: { runs: true, detail: 'its test program exited 42' },
        arm64: { runs: false, detail: expect.stringMatching(/^exit 126: .*Exec format error/) },
      },
    });
    expect(found?.detail).toMatch(
      /^test programs: amd64 runs; arm64 does not run \(exit 126: .*\); \/proc\/sys\/fs\/binfmt_misc is not mounted in a container$/,
    );
  });
  it('an older probe (no arch lines) leaves it unknown, saying why (the probe runs again and fills it)', () => {
    const parsed = parseProbeOutput(fixture('probe-ordinary.txt'));
    expect(parsed.findings.binfmt).toBeUndefined();
    expect(parsed.unknown.binfmt).toContain('did not report its cross-architecture test');
  });
  it('an image without the tools: known, with nothing tested and why (so warm runs do not probe again for it)', () => {
    const parsed = parseProbeOutput('werf-run-probe 1\narch unknown the image lacks printf, chmod or mktemp\nbinfmt unmounted x\n');
    expect(parsed.findings.binfmt).toEqual({
      value: { programs: {} },
      detail: 'no test program ran: the image lacks printf, chmod or mktemp; /proc/sys/fs/binfmt_misc is not mounted in a container',
    });
  });
  // Not recorded: no container here sees the mount (see fixtures/README.md). The lines follow the script's format over the kernel's entry files (Documentation/admin-guide/binfmt-misc.rst).
  it('where the mount is visible: each handler, enabled or not, with its interpreter and flags', () => {
    const text = [
      'werf-run-probe 1',
      'arch amd64 runs its test program exited 42',
      'arch arm64 runs its test program exited 42',
      'binfmt status enabled',
      'binfmt handler qemu-aarch64 enabled /usr/bin/qemu-aarch64-static flags=OCF',
      'binfmt handler qemu-arm disabled /usr/bin/qemu-arm-static flags=',
    ].join('\n');
    const found = parseProbeOutput(text).findings.binfmt;
    expect(found?.value.handlers).toEqual([
      { name: 'qemu-aarch64', enabled: true, interpreter: '/usr/bin/qemu-aarch64-static', flags: 'OCF' },
      { name: 'qemu-arm', enabled: false, interpreter: '/usr/bin/qemu-arm-static', flags: '' },
    ]);
    expect(found?.detail).toBe(
      'test programs: amd64 runs; arm64 runs; /proc/sys/fs/binfmt_misc: qemu-aarch64 enabled flags OCF, qemu-arm disabled',
    );
  });
});
