import { describe, expect, it } from 'vitest';
import { ciGroupFor, useColor } from './ci-output.js';

describe('ciGroupFor', () => {
  it('uses workflow commands in GitHub Actions', () => {
    const group = ciGroupFor({ GITHUB_ACTIONS: 'true', CI: 'true' });
    expect(group?.open('werf-run: preparing')).toBe('::group::werf-run: preparing');
    expect(group?.close()).toBe('::endgroup::');
  });
  it('uses collapsed section markers in GitLab CI', () => {
    const group = ciGroupFor({ GITLAB_CI: 'true', CI: 'true' }, () => 1_700_000_000_500);
    expect(group?.open('werf-run: preparing')).toBe(
      '\x1b[0Ksection_start:1700000000:werf_run_prepare[collapsed=true]\r\x1b[0Kwerf-run: preparing',
    );
    expect(group?.close()).toBe('\x1b[0Ksection_end:1700000000:werf_run_prepare\r\x1b[0K');
  });
  it('has no group elsewhere', () => {
    expect(ciGroupFor({ CI: 'true' })).toBeUndefined();
  });
});

describe('useColor', () => {
  // NO_COLOR, FORCE_COLOR and the terminal.
  it.each([
    [{}, true, true],
    [{}, false, false],
    [{ NO_COLOR: '1' }, true, false],
    [{ FORCE_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '0' }, true, false],
    [{ TERM: 'dumb' }, true, false],
  ])('%j on a terminal: %s -> colour %s', (env, tty, color) => {
    expect(useColor(env, tty)).toBe(color);
  });
});
