import { describe, expect, it } from 'vitest';
import { exportHint } from '../export/ci-hint.js';
import { doctorOk, doctorText, emptyDoctorReport } from './doctor-report.js';
import { detectFlags } from '../config/layers.js';

describe('detectFlags', () => {
  it('types the values of --detect KEY=VALUE', () => {
    expect(detectFlags(['fuseDevice=missing', 'rootlessOverlay=false', 'maxUserNamespaces=0'])).toEqual({
      fuseDevice: 'missing',
      rootlessOverlay: false,
      maxUserNamespaces: 0,
    });
  });
});

describe('doctorText with an export hint', () => {
  it('names the export a CI job container needs', () => {
    const text = doctorText({
      ...emptyDoctorReport(),
      engine: { found: false, error: 'no Docker Engine answered' },
      problems: [{ fact: 'engine', problem: 'no usable Docker Engine', remedy: 'start one' }],
      exportHint: exportHint({ inContainer: true, env: { GITLAB_CI: 'true', CI: 'true' }, canStartContainers: false })!,
    });
    expect(text).toContain('inside a GitLab docker executor job');
    expect(text).toContain('run: werf-run --export gitlab-runner');
  });
});

describe('doctorText problems', () => {
  it("indents a multi-line problem's further lines under its bullet, not at the bullet's level", () => {
    const text = doctorText({
      ...emptyDoctorReport(),
      problems: [
        {
          fact: 'engine',
          problem:
            'no usable Docker Engine: no Docker Engine answered at the endpoint chosen by DOCKER_HOST:\n  - tcp://127.0.0.1:1 (from DOCKER_HOST): connection refused\n  DOCKER_HOST is an explicit choice',
          remedy: 'start the daemon\nor unset DOCKER_HOST',
        },
      ],
    });
    expect(text).toContain(
      [
        'problems:',
        '  - no usable Docker Engine: no Docker Engine answered at the endpoint chosen by DOCKER_HOST:',
        '      - tcp://127.0.0.1:1 (from DOCKER_HOST): connection refused',
        '      DOCKER_HOST is an explicit choice',
        '    fix: start the daemon',
        '         or unset DOCKER_HOST',
      ].join('\n'),
    );
  });
});

describe('doctorOk: whether a run would get as far as starting werf', () => {
  const fuse = { fact: 'fuseDevice' as const, problem: 'the Docker host has no /dev/fuse', remedy: 'modprobe fuse' };
  const image = {
    fact: 'image' as const,
    problem: 'the werf image is not available, so nothing was probed: pulling failed',
    remedy: 'use --image',
  };
  it.each([
    ['a mode and no problem', 'native', [], true],
    ["a mode and a host fact's problem that only rules modes out", 'native', [fuse], true],
    ['no mode', null, [fuse], false],
    // Offline, the default image neither on the engine nor pullable: a build fails 125 before werf starts.
    ['a mode chosen from /info alone, but no werf image', 'native', [image], false],
    ['project files werf would not see', 'native', [{ fact: 'project' as const, problem: 'x', remedy: 'y' }], false],
  ] as const)('%s: %s', (_what, mode, problems, ok) => {
    expect(doctorOk({ mode, problems: [...problems] })).toBe(ok);
  });
});

describe('doctorText: the registry hand-over', () => {
  it('lists what a run hands werf and buildah, one bullet each, and nothing when the report has none', () => {
    const registries = [
      "/etc/docker/certs.d/127.0.0.1:5443/ca.crt (the engine's, for 127.0.0.1:5443) handed to buildah as /home/build/.config/containers/certs.d/127.0.0.1:5443/ca.crt",
      "this machine's CA bundle (/etc/ssl/certs/ca-certificates.crt: 146 certificates) handed to werf as /home/build/.werf/werf-run/host-ca-0123456789abcdef.crt",
    ];
    const text = doctorText({ ...emptyDoctorReport(), registries });
    expect(text).toContain(['registries (what a run hands werf and buildah):', ...registries.map((r) => `  - ${r}`)].join('\n'));
    expect(doctorText(emptyDoctorReport())).not.toContain('registries');
  });
});
