/**
 * SIMULATION, not a run on a real machine: the planner given the inputs a
 * Windows machine (or a Mac) would give it, and the `docker run` it plans
 * compared word for word with the form Docker's docs give for Docker
 * Desktop. Docker's get-started guide ("Bind mounts", PowerShell tab):
 *   docker run -it --mount "type=bind,src=$pwd,target=/src" ubuntu bash
 * i.e. the Windows path as the bind source and a POSIX target. The single
 * quotes of the printed line mean the same in PowerShell (a literal string)
 * as in a POSIX shell, so the line pastes into both. Nothing here
 * has run on Windows or macOS; only Linux engines were used for real
 * (docs/laptops.md says which is which).
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/schema.js';
import { dockerRunCommand } from './docker-command.js';
import { plan, type PlanInput } from './plan.js';

const windows: PlanInput = {
  hostOs: 'win32',
  mode: 'native',
  image: 'ghcr.io/werf/werf:2-stable-alpine',
  // What a user types in PowerShell: an absolute path into the checkout.
  werfArgs: ['build', '--config=C:\\Users\\Jane Doe\\src\\app\\werf.yaml'],
  // A worktree: its git dirs beside it, spelled as git for Windows prints them, normalised by project.ts.
  project: {
    root: 'C:\\Users\\Jane Doe\\src\\app',
    cwd: 'c:\\users\\jane doe\\src\\app\\services\\api',
    gitDirs: ['C:\\Users\\Jane Doe\\src\\main\\.git'],
  },
  config: defaultConfig(),
  facts: { selinux: false, usernsRemap: false, engine: { product: 'docker' } },
  hostEnv: { WERF_DIR: 'C:\\Users\\Jane Doe\\src\\app', WERF_REPO: 'registry.example/app', USERPROFILE: 'C:\\Users\\Jane Doe' },
  tty: false,
};

describe('a Windows checkout on Docker Desktop (simulated)', () => {
  const planned = plan(windows);

  it('mounts each dir from its Windows path at its /c/... path, works in the same spelling as the root', () => {
    expect(planned.container.mounts.slice(0, 2)).toEqual([
      { type: 'bind', source: 'C:\\Users\\Jane Doe\\src\\app', target: '/c/Users/Jane Doe/src/app', readOnly: false },
      { type: 'bind', source: 'C:\\Users\\Jane Doe\\src\\main\\.git', target: '/c/Users/Jane Doe/src/main/.git', readOnly: false },
    ]);
    expect(planned.container.workingDir).toBe('/c/Users/Jane Doe/src/app/services/api');
    expect(planned.projectDir).toBe('/c/Users/Jane Doe/src/app');
  });

  it("gives werf its arguments and WERF_* paths as the container sees them; the Windows label keeps the host's path", () => {
    expect(planned.container.cmd).toEqual(['werf', 'build', '--config=/c/Users/Jane Doe/src/app/werf.yaml']);
    expect(planned.container.env).toContain('WERF_DIR=/c/Users/Jane Doe/src/app');
    expect(planned.container.labels['werf-run.project']).toBe('C:\\Users\\Jane Doe\\src\\app');
  });

  it("is the exact docker run Docker Desktop takes (the form of Docker's docs: Windows source, POSIX target)", () => {
    expect(dockerRunCommand(planned.container)).toBe(
      [
        'docker run --rm',
        '--security-opt seccomp=unconfined --security-opt apparmor=unconfined',
        '--user build',
        "--mount 'type=bind,source=C:\\Users\\Jane Doe\\src\\app,target=/c/Users/Jane Doe/src/app'",
        "--mount 'type=bind,source=C:\\Users\\Jane Doe\\src\\main\\.git,target=/c/Users/Jane Doe/src/main/.git'",
        '--mount type=volume,source=werf-run-buildah-storage,target=/home/build/.local/share/containers',
        '--mount type=volume,source=werf-run-werf-home,target=/home/build/.werf',
        "--workdir '/c/Users/Jane Doe/src/app/services/api'",
        // Values are written out, the WERF_DIR path already translated (no secret among them).
        "--env 'WERF_DIR=/c/Users/Jane Doe/src/app' --env WERF_REPO=registry.example/app",
        '--label werf-run.managed=true --label werf-run.mode=native',
        "--label 'werf-run.project=C:\\Users\\Jane Doe\\src\\app'",
        "ghcr.io/werf/werf:2-stable-alpine werf build '--config=/c/Users/Jane Doe/src/app/werf.yaml'",
      ].join(' '),
    );
  });
});

describe('a Mac checkout (Docker Desktop, OrbStack, Colima, ...; simulated)', () => {
  it('is mounted at its own path: the identity, as on Linux', () => {
    const planned = plan({
      ...windows,
      hostOs: 'posix',
      werfArgs: ['build'],
      project: { root: '/Users/jane/src/app', cwd: '/Users/jane/src/app/api' },
      hostEnv: {},
    });
    expect(planned.container.mounts[0]).toEqual({
      type: 'bind',
      source: '/Users/jane/src/app',
      target: '/Users/jane/src/app',
      readOnly: false,
    });
    expect(planned.container.workingDir).toBe('/Users/jane/src/app/api');
  });
});
