import { describe, expect, it } from 'vitest';
import { exportHint } from '../export/ci-hint.js';
import { doctorText, emptyDoctorReport } from './doctor-report.js';
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
