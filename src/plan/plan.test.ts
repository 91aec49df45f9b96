import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/schema.js';
import { plan, containerWorkdir, type PlanInput } from './plan.js';

const base = (over: Partial<PlanInput> = {}): PlanInput => ({
  mode: 'native',
  image: 'ghcr.io/werf/werf:2-stable-alpine',
  werfArgs: ['build', '--repo', 'registry.example/app'],
  project: { root: '/home/u/app', cwd: '/home/u/app/sub' },
  config: defaultConfig(),
  facts: { selinux: false, usernsRemap: false },
  hostEnv: { WERF_REPO: 'r', CI_JOB_ID: '7', HOME: '/root', SECRET_THING: 'x', GITHUB_TOKEN: 't' },
  tty: false,
  ...over,
});

describe('plan', () => {
  it('native: unconfined seccomp and AppArmor, no device, not privileged', () => {
    const { container } = plan(base());
    expect(container.securityOpt).toEqual(['seccomp=unconfined', 'apparmor=unconfined']);
    expect(container.devices).toEqual([]);
    expect(container.privileged).toBe(false);
  });

  it('default leaves the engine default security untouched (no options, no device)', () => {
    const { container } = plan(base({ mode: 'default', facts: { selinux: true, usernsRemap: true } }));
    expect(container.securityOpt).toEqual([]);
    expect(container.devices).toEqual([]);
    expect(container.privileged).toBe(false);
    expect(container.usernsMode).toBeUndefined();
  });

  it('fuse adds /dev/fuse and nothing else', () => {
    const { container } = plan(base({ mode: 'fuse' }));
    expect(container.devices).toEqual(['/dev/fuse']);
    expect(container.privileged).toBe(false);
  });

  it('privileged sets --privileged, and --userns=host under userns-remap', () => {
    expect(plan(base({ mode: 'privileged' })).container.usernsMode).toBeUndefined();
    const { container } = plan(base({ mode: 'privileged', facts: { selinux: false, usernsRemap: true } }));
    expect(container.privileged).toBe(true);
    expect(container.usernsMode).toBe('host');
  });

  it('adds label=disable on SELinux hosts', () => {
    expect(plan(base({ facts: { selinux: true, usernsRemap: false } })).container.securityOpt).toContain('label=disable');
  });

  it('keeps buildah storage and ~/.werf on named volumes and mounts the git root at its own path', () => {
    const { container } = plan(base());
    expect(container.mounts).toEqual([
      { type: 'bind', source: '/home/u/app', target: '/home/u/app', readOnly: false },
      { type: 'volume', source: 'werf-run-buildah-storage', target: '/home/build/.local/share/containers', readOnly: false },
      { type: 'volume', source: 'werf-run-werf-home', target: '/home/build/.werf', readOnly: false },
    ]);
    expect(container.workingDir).toBe('/home/u/app/sub');
    expect(container.user).toBe('build');
  });

  it('mounts the git dirs outside the root read-write at their own paths (worktrees, submodules)', () => {
    const { container } = plan(base({ project: { root: '/src/wt', cwd: '/src/wt', gitDirs: ['/src/main/.git'] } }));
    expect(container.mounts.slice(0, 2)).toEqual([
      { type: 'bind', source: '/src/wt', target: '/src/wt', readOnly: false },
      { type: 'bind', source: '/src/main/.git', target: '/src/main/.git', readOnly: false },
    ]);
  });

  it('passes the werf command unchanged and werf/CI variables, not the rest', () => {
    const { container } = plan(base());
    expect(container.cmd).toEqual(['werf', 'build', '--repo', 'registry.example/app']);
    expect(container.env).toEqual(['CI_JOB_ID=7', 'GITHUB_TOKEN=t', 'WERF_REPO=r']);
  });

  it('sets ulimits within ordinary hard limits only when the engine is Podman', () => {
    expect(plan(base()).container.ulimits).toBeUndefined();
    expect(plan(base({ facts: { selinux: false, usernsRemap: false, engine: { product: 'docker' } } })).container.ulimits).toBeUndefined();
    expect(plan(base({ facts: { selinux: false, usernsRemap: false, engine: { product: 'podman' } } })).container.ulimits).toEqual([
      { name: 'nofile', soft: 1024, hard: 4096 },
      { name: 'nproc', soft: 4096, hard: 4096 },
    ]);
  });

  it.each([
    [undefined, 1000],
    ['build1001', 1001],
    ['4242', 4242],
    ['ci', undefined],
    ['ci:docker', undefined],
  ])('user %s: handed-in files owned by uid %s (none: the run reads it from the image)', (user, uid) => {
    const file = { path: '/home/x/.kube/config', content: Buffer.from('k'), mode: 0o600 };
    const keep = { path: '/etc/subuid', content: Buffer.from('s'), mode: 0o644, uid: 0, gid: 0 };
    const config = { ...defaultConfig(), ...(user ? { user } : {}) };
    const files = plan(base({ config, files: [file, keep] })).files;
    expect(files.map((f) => f.uid)).toEqual([uid, 0]);
  });

  it("the archive never writes an entry for the image user's home or the werf home volume's mount point (their modes stay as they are)", () => {
    expect(plan(base()).keptDirs).toEqual(['/home/build', '/home/build/.werf', '/tmp']);
  });

  it('labels the container as managed, with its mode and project; the owner is added where it is created', () => {
    const labels = plan(base()).container.labels;
    expect(labels).toMatchObject({ 'werf-run.managed': 'true', 'werf-run.mode': 'native' });
    expect(Object.keys(labels).filter((key) => key.startsWith('werf-run.owner'))).toEqual([]);
  });
});

describe('a shipped project', () => {
  it("mounts each dir from its volume or translated host path at the dir's own path", () => {
    const { container } = plan(
      base({
        project: {
          root: '/src/wt',
          cwd: '/src/wt/a',
          gitDirs: ['/src/main/.git'],
          sources: { '/src/wt': { type: 'volume', source: 'v1' }, '/src/main/.git': { type: 'bind', source: '/host/main/.git' } },
        },
      }),
    );
    expect(container.mounts.slice(0, 2)).toEqual([
      { type: 'volume', source: 'v1', target: '/src/wt', readOnly: false },
      { type: 'bind', source: '/host/main/.git', target: '/src/main/.git', readOnly: false },
    ]);
    expect(container.workingDir).toBe('/src/wt/a');
  });
});

describe('containerWorkdir', () => {
  it.each([
    ['/a', '/a', '/a'],
    ['/a', '/a/b/c', '/a/b/c'],
    ['/a', '/a/..dots', '/a/..dots'],
    ['/a', '/elsewhere', '/a'],
    ['/a/b', '/a', '/a/b'],
  ])('root %s, cwd %s: werf starts in %s', (root, cwd, expected) => {
    expect(containerWorkdir(root, cwd)).toBe(expected);
  });
});

describe('the Docker socket', () => {
  it('is never mounted unless asked for', () => {
    const { container } = plan(base());
    expect(container.mounts.map((m) => m.target)).not.toContain('/var/run/docker.sock');
    expect(container.env.some((e) => e.startsWith('DOCKER_HOST='))).toBe(false);
    expect(container.groupAdd).toBeUndefined();
  });
  it('when asked for: bound at /var/run/docker.sock with its group, and DOCKER_HOST pointing there', () => {
    const { container } = plan(base({ dockerSocket: { path: '/run/user/1000/docker.sock', gid: 999 } }));
    expect(container.mounts).toContainEqual({
      type: 'bind',
      source: '/run/user/1000/docker.sock',
      target: '/var/run/docker.sock',
      readOnly: false,
    });
    expect(container.env).toContain('DOCKER_HOST=unix:///var/run/docker.sock');
    expect(container.groupAdd).toEqual(['999']);
  });
});

describe('plan: the network', () => {
  it('takes the network decision when given, else config.network', () => {
    const config = { ...defaultConfig(), network: 'bridge' };
    expect(plan(base({ config })).container.networkMode).toBe('bridge');
    expect(plan(base({ config, network: { networkMode: 'host' } })).container.networkMode).toBe('host');
    expect(plan(base({ network: {} })).container.networkMode).toBeUndefined();
  });
});
