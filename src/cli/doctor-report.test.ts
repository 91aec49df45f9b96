import { describe, expect, it } from 'vitest';
import { gitlabRunnerConfig } from './doctor-report.js';
import { detectFlags } from '../config/layers.js';

describe('gitlabRunnerConfig', () => {
  it('gives the runner lines each mode needs', () => {
    expect(gitlabRunnerConfig('native', false)).toContain('security_opt = ["seccomp:unconfined", "apparmor:unconfined"]');
    expect(gitlabRunnerConfig('native', false)).not.toContain('devices');
    expect(gitlabRunnerConfig('fuse', false)).toContain('devices = ["/dev/fuse"]');
    expect(gitlabRunnerConfig('privileged', false)).toContain('privileged = true');
    expect(gitlabRunnerConfig('native', true)).toContain('"label:disable"');
  });
});

describe('detectFlags', () => {
  it('types the values of --detect KEY=VALUE', () => {
    expect(detectFlags(['fuseDevice=missing', 'rootlessOverlay=false', 'maxUserNamespaces=0'])).toEqual({
      fuseDevice: 'missing',
      rootlessOverlay: false,
      maxUserNamespaces: 0,
    });
  });
});
