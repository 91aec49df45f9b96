import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { plan } from '../plan/plan.js';
import { formatDryRun, type DryRunReport } from './dry-run.js';

const runPlan = plan({
  mode: 'native',
  image: 'reg/werf:2',
  werfArgs: ['build'],
  project: { root: '/home/u/app', cwd: '/home/u/app' },
  config: configSchema.parse({}),
  facts: { selinux: false, usernsRemap: false },
  hostEnv: { WERF_REPO: 'reg/app', WERF_SECRET_KEY: 'k3y' },
  tty: false,
});

const report = (over: Partial<DryRunReport> = {}): DryRunReport => ({
  plan: runPlan,
  reasons: ['rootless overlayfs works: native is enough', 'chose native'],
  engine: 'unix:///var/run/docker.sock (from default socket): docker 27.0, kernel 6.1, Debian',
  imageState: 'present on the engine, sha256:0123456789ab',
  configFile: undefined,
  project: { root: '/home/u/app', isGit: true },
  notes: ['mounting ~/.docker/config.json read-only'],
  assumed: [],
  ...over,
});

describe('formatDryRun', () => {
  it('prints the plan as comments, then one docker run line', () => {
    const lines = formatDryRun(report()).split('\n');
    expect(lines.slice(0, 7)).toEqual([
      '# werf-run --dry-run: nothing was created, pulled or started',
      '# config:  none found (defaults, environment and flags)',
      '# engine:  unix:///var/run/docker.sock (from default socket): docker 27.0, kernel 6.1, Debian',
      '# mode:    native (rootless overlayfs works: native is enough; chose native)',
      '# image:   reg/werf:2 (present on the engine, sha256:0123456789ab)',
      '# project: /home/u/app mounted at /home/u/app, workdir /home/u/app',
      '# mounting ~/.docker/config.json read-only',
    ]);
    expect(lines[7]).toMatch(/^docker run --rm .* reg\/werf:2 werf build$/);
    expect(lines[8]).toBe('');
    expect(lines).toHaveLength(9);
  });

  it("leaves out werf-run's labels, so a pasted container is not taken for one of werf-run's", () => {
    expect(runPlan.container.labels['werf-run.managed']).toBe('true');
    expect(formatDryRun(report())).not.toContain('werf-run.');
  });

  it('never prints a secret value', () => {
    const text = formatDryRun(report());
    // By name: the pasting shell's environment gives the value.
    expect(text).toMatch(/--env WERF_SECRET_KEY( |$)/m);
    expect(text).not.toContain('k3y');
  });

  it('says what it assumed without an engine, and targets a non-default engine', () => {
    const text = formatDryRun(
      report({
        engine: undefined,
        imageState: 'unknown: engine unreachable',
        assumed: ['the engine did not answer'],
        dockerHost: 'tcp://10.0.0.1:2376',
        project: { root: '/tmp/p', isGit: false },
      }),
    );
    expect(text).toContain('# engine:  unreachable\n');
    expect(text).toContain('# assumed: the engine did not answer\n');
    expect(text).toContain('# project: /tmp/p (not a git repository) mounted at');
    expect(text).toMatch(/\nDOCKER_HOST=tcp:\/\/10\.0\.0\.1:2376 docker run --rm /);
  });
});
