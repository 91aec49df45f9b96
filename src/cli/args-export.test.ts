import { describe, expect, it } from 'vitest';
import { kubeFlagsWithoutExport, parseArgs } from './args.js';

const sink = { write: () => undefined };
const parse = (...argv: string[]) => parseArgs(argv, '0.0.0', sink, sink);

describe('--export', () => {
  it('is an option whose werf command defaults to build', () => {
    expect(parse('--export', 'kubernetes', '--kube-version', '1.29', '--kube-volumes', 'pvc')).toMatchObject({
      kind: 'export',
      werfArgs: ['build'],
      options: { export: 'kubernetes', kubeVersion: '1.29', kubeVolumes: 'pvc' },
    });
    expect(parse('--mode', 'fuse', '--export', 'docker-run', 'converge', '--repo', 'x')).toMatchObject({
      kind: 'export',
      werfArgs: ['converge', '--repo', 'x'],
      options: { mode: 'fuse' },
    });
  });

  it("leaves werf's own `export` command to werf", () => {
    expect(parse('export', '--tag', 'x')).toMatchObject({ kind: 'werf', werfArgs: ['export', '--tag', 'x'] });
  });

  it('refuses an unknown format, listing the formats', () => {
    expect(() => parse('--export', 'helm')).toThrow(/docker-run, compose, gitlab-runner, gitlab-ci, github-actions, kubernetes/);
  });

  it('refuses --kube-version and --kube-volumes without --export kubernetes: they would change nothing', () => {
    expect(() => parse('--kube-volumes', 'pvc', 'build')).toThrow(
      expect.objectContaining({
        exitCode: 2,
        message: '--kube-volumes is only for --export kubernetes',
        remedy: 'add --export kubernetes, or drop --kube-volumes',
      }),
    );
    expect(() => parse('--kube-version', '1.29', 'doctor')).toThrow('--kube-version is only for --export kubernetes');
    expect(kubeFlagsWithoutExport({ export: 'compose', kubeVersion: '1.29', kubeVolumes: 'pvc' })).toMatchObject({
      message: '--kube-version and --kube-volumes are only for --export kubernetes, not --export compose',
      remedy: 'use --export kubernetes, or drop --kube-version and --kube-volumes',
    });
    expect(kubeFlagsWithoutExport({ export: 'kubernetes', kubeVolumes: 'pvc' })).toBeUndefined();
  });
});
