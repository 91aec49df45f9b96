import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mergeFindings, unknownFacts } from '../detect/facts.js';
import { FOLD_END, FOLD_PREFIX, foldVerdict, foldableMode, foldedSpec, readPreamble, type FoldInput } from './fold-probe.js';

const fixture = (name: string): string => readFileSync(new URL(`../detect/fixtures/${name}`, import.meta.url), 'utf8');
const marker = { root: '/src/app', files: [{ name: 'werf.yaml', sha256: 'abc' }], head: 'h1' };
const sameView = 'werf-run-view file abc werf.yaml\nwerf-run-view head h1\n';

function input(probeText: string, over: Partial<FoldInput> = {}): FoldInput {
  return {
    probeText,
    facts: unknownFacts(),
    config: { mode: 'auto', allowPrivileged: false },
    daemon: {},
    mode: 'native',
    werfIsRoot: false,
    ...over,
  };
}

describe('foldedSpec', () => {
  const spec = {
    image: 'img',
    cmd: ['werf', 'build', '--repo', "it's"],
    env: ['A=1'],
    user: 'build',
    labels: { a: 'b' },
    tty: false,
    openStdin: false,
    mounts: [],
    securityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
    devices: [],
    privileged: false,
  };
  it("wraps werf's command (exec'd after go) and opens stdin for the answer; nothing else changes", () => {
    const folded = foldedSpec(spec, ['/src/app', '/', '/src', '--', 'werf.yaml']);
    expect(folded.cmd.slice(0, 2)).toEqual(['sh', '-c']);
    expect(folded.cmd.slice(3)).toEqual(['werf-run-probe', 'werf', 'build', '--repo', "it's"]);
    expect(folded.cmd[2]).toContain(`echo ${FOLD_END} >&2`);
    expect(folded.cmd[2]).toContain('[ "$werf_run_go" = go ] || exit 0');
    expect(folded.cmd[2]).toMatch(/exec "\$@"$/);
    // PID 1 until the exec: the stop signal must end it.
    expect(folded.cmd[2]).toMatch(/^trap 'exit 143' TERM/);
    expect(folded.cmd[2]).toContain('set -- /src/app / /src -- werf.yaml');
    expect({ ...folded, cmd: spec.cmd, openStdin: false }).toEqual(spec);
    expect(folded.openStdin).toBe(true);
  });
  it('runs no project check when none is asked for', () => {
    expect(foldedSpec(spec, undefined).cmd[2]).not.toContain('werf-run-view');
  });
});

describe('readPreamble', () => {
  it("takes the probe's lines by their prefix and keeps the shell's own apart", () => {
    expect(readPreamble([`${FOLD_PREFIX}userns yes ok`, 'sh: oops', '', `${FOLD_PREFIX}ids build 1000 1000`])).toEqual({
      probe: 'userns yes ok\nids build 1000 1000',
      other: ['sh: oops'],
    });
  });
});

describe('foldVerdict', () => {
  it('lets werf go when the probe agrees with native and the checkout is there; fuse untested in native', () => {
    const v = foldVerdict(
      input(fixture('probe-ids-rootful.txt').replace(/^fuse .*$/m, 'fuse absent /dev/fuse is not in the container') + sameView, { marker }),
    );
    expect(v.go).toBe(true);
    expect(v.view).toEqual({ kind: 'same' });
    expect(v.findings.userNamespaces?.value).toBe(true);
    expect(v.untested).toContain('fuseDevice');
    expect(v.untested).not.toContain('userNamespaces');
  });

  it('stops werf when the probe calls for another mode', () => {
    const text = fixture('probe-ordinary.txt').replace(/^overlay yes.*$/m, 'overlay no mount -t overlay: Operation not permitted');
    const v = foldVerdict(input(text));
    expect(v).toMatchObject({ go: false });
    expect(!v.go && v.why).toMatch(/calls for mode fuse, not native/);
  });

  it('keeps a forced mode: the user chose it', () => {
    const text = fixture('probe-ordinary.txt').replace(/^overlay yes.*$/m, 'overlay no mount -t overlay: Operation not permitted');
    expect(foldVerdict(input(text, { config: { mode: 'native', allowPrivileged: false } })).go).toBe(true);
  });

  it('stops werf when the checkout there is another, or unreadable', () => {
    const other = foldVerdict(
      input(`${fixture('probe-ordinary.txt')}werf-run-view file abc werf.yaml\nwerf-run-view head h2\n`, { marker }),
    );
    expect(other).toMatchObject({ go: false, view: { kind: 'elsewhere' } });
    const denied = foldVerdict(input(`${fixture('probe-ordinary.txt')}werf-run-view denied enter /src 700 0\n`, { marker }));
    expect(denied).toMatchObject({ go: false, view: { kind: 'denied', dir: '/src' } });
  });

  it('stops werf when the id range must be adapted, unless werf is root of its namespace', () => {
    const text = fixture('probe-ids-rootless-65536.txt');
    expect(foldVerdict(input(text)).go).toBe(false);
    expect(foldVerdict(input(text, { werfIsRoot: true })).go).toBe(true);
  });

  it('never lets a fact from the probe override what an earlier source said', () => {
    const facts = mergeFindings(unknownFacts(), 'override', { rootlessOverlay: { value: true, detail: 'detect.rootlessOverlay' } });
    const text = fixture('probe-ordinary.txt').replace(/^overlay yes.*$/m, 'overlay no x');
    expect(foldVerdict(input(text, { facts })).go).toBe(true);
  });

  it('learns nothing from output that is not the probe', () => {
    const v = foldVerdict(input('sh: 1: syntax error'));
    expect(v.findings).toEqual({});
    expect(v.go).toBe(true);
  });
});

describe('foldableMode', () => {
  it('is native or fuse: the probe container’s own settings', () => {
    expect(['native', 'fuse', 'privileged', 'default'].filter((m) => foldableMode(m as 'native'))).toEqual(['native', 'fuse']);
  });
});
