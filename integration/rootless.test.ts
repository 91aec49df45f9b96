/**
 * Rootless Docker Engine and rootless Podman (issue 14), each run by a
 * throwaway user from `rig/rootless.sh` (started and removed by these hooks):
 * with the usual 65536 subordinate ids werf-run hands in an /etc/subuid that
 * fits and builds (a layer owning a higher id stops with the host fix, never
 * privileged); with fewer it stops before werf starts; with 231072 ids a plain native build and a fuse recovery;
 * doctor --json reports the daemon as rootless and the id range. werf writes into the checkout: the daemon
 * user's own checkout is written by werf as root of the daemon's namespace (that user on this host), one of
 * a subordinate id's as that uid there (build), and one the namespace does not map stops with the chown.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, rig, runWerfRun, werfProject } from './support.js';

const REGISTRY = rig.WERF_RUN_RIG_REGISTRY!;
const BUSYBOX = rig.WERF_RUN_RIG_BUSYBOX!;
const FUSE_IMAGE = rig.WERF_RUN_RIG_FUSE_IMAGE!;
const RUN_ID = `${process.pid}-${Date.now()}`;
/** A base image with a file owned by uid/gid 70000: more than 65536 ids can hold. */
const HIGH_ID_IMAGE = `${REGISTRY}/werf-run-it-rootless/high-id:${RUN_ID}`;

async function rootless(action: 'up' | 'down', engine: string, ids?: number): Promise<string> {
  const result = await execa('bash', [path.join(REPO_ROOT, 'rig', 'rootless.sh'), action, engine, ...(ids ? [String(ids)] : [])], {
    reject: false,
    all: true,
  });
  if (result.exitCode !== 0) throw new Error(`rig/rootless.sh ${action} ${engine} failed:\n${result.all}`);
  if (action === 'down') return '';
  const env = await execa('bash', [path.join(REPO_ROOT, 'rig', 'rootless.sh'), 'env', engine]);
  const host = /^DOCKER_HOST=(unix:\/\/\S+)$/m.exec(env.stdout)?.[1];
  if (!host) throw new Error(`rig/rootless.sh env ${engine} named no socket: ${env.stdout}`);
  return host;
}

beforeAll(async () => {
  // Built on the rig's engine (no network needed), pushed where the rootless engines pull from.
  const dockerfile = `FROM ${BUSYBOX}\nRUN touch /high && chown 70000:70000 /high\n`;
  await execa('docker', ['build', '--network', 'none', '-q', '-t', HIGH_ID_IMAGE, '-'], {
    input: dockerfile,
    env: { DOCKER_BUILDKIT: '0' },
  });
  await execa('docker', ['push', '-q', HIGH_ID_IMAGE]);
  await execa('docker', ['rmi', HIGH_ID_IMAGE]);
}, 120_000);

describe.each(['docker', 'podman'] as const)('rootless %s', (engine) => {
  let host = '';
  const projects: ReturnType<typeof werfProject>[] = [];
  beforeAll(async () => {
    host = await rootless('up', engine, 65536);
  }, 180_000);
  afterAll(async () => {
    await Promise.allSettled(projects.map((p) => p.cleanup()));
    await rootless('down', engine);
    // Nothing of the throwaway user is left: no user, no subordinate ids.
    expect((await execa('id', [`werfrun-rl-${engine}`], { reject: false })).exitCode).not.toBe(0);
    expect((await execa('grep', ['-c', `^werfrun-rl-${engine}:`, '/etc/subuid'], { reject: false })).stdout.trim()).toMatch(/^0?$/);
  }, 120_000);

  /** The daemon's user and its first subordinate id, on this machine. */
  const daemonIds = () => {
    const id = (flag: string) => Number(execFileSync('id', [flag, `werfrun-rl-${engine}`], { encoding: 'utf8' }).trim());
    const [uid, gid] = [id('-u'), id('-g')];
    const line = readFileSync('/etc/subuid', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`werfrun-rl-${engine}:`));
    return { uid, gid, subStart: Number(line!.split(':')[1]) };
  };
  /**
   * A project owned, as a rootless user's checkout is, by the daemon's user (`owner` 'daemon': uid 0 in its
   * containers, so werf runs as that root), or by the host id that is uid 1000 in the daemon's namespace
   * ('build': werf runs as build, with the /etc/subuid werf-run fits to the range).
   */
  const project = (dockerfile: string, config: Record<string, unknown> = {}, owner: 'daemon' | 'build' = 'daemon') => {
    const made = werfProject({ app: dockerfile }, config);
    projects.push(made);
    const ids = daemonIds();
    const [uid, gid] = owner === 'daemon' ? [ids.uid, ids.gid] : [ids.subStart + 999, ids.subStart + 999];
    execFileSync('chown', ['-R', `${uid}:${gid}`, made.dir]);
    return made;
  };
  const env = () => ({ DOCKER_HOST: host, DOCKER_CONTEXT: undefined });
  const restart = engine === 'docker' ? 'systemctl --user restart docker' : 'podman system migrate';

  it('65536 ids: doctor --json says rootless and the id range (too small for the image, adapted)', async () => {
    const dir = project(`FROM ${BUSYBOX}\n`).dir;
    const result = await runWerfRun(['doctor', '--json'], { cwd: dir, env: env() });
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      mode: string;
      facts: Record<string, { value: unknown; source: string }>;
      problems: { fact: string; remedy: string }[];
    };
    expect(report.facts.rootlessDaemon).toMatchObject({ value: true, source: 'info' });
    expect(report.facts.idRange).toMatchObject({
      source: 'probe',
      value: { enough: false, user: 'build', uids: { available: 65537, needed: 165536 }, gids: { available: 65537, needed: 165536 } },
    });
    expect(report).toMatchObject({ ok: true, mode: 'native' });
    const problem = report.problems.find((p) => p.fact === 'idRange');
    expect(problem?.remedy).toContain(':165536');
    expect(problem?.remedy).toContain(restart);
    expect(result.exitCode, result.stderr).toBe(0);
  });

  it('65536 ids: builds natively with a fitting /etc/subuid, keeping a file owned by 65534', async () => {
    const repo = `${REGISTRY}/werf-run-it-rootless/${engine}-${RUN_ID}`;
    // Owned by the host id that is uid 1000 in the daemon's namespace: werf runs as build, with the fitted /etc/subuid.
    const dir = project(
      `FROM ${BUSYBOX}\nRUN echo kept > /kept && chown 65534:65534 /kept && stat -c 'owner %u:%g' /kept\n`,
      {},
      'build',
    ).dir;
    const result = await runWerfRun(['build', '--repo', repo], { cwd: dir, env: env() });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('hands the werf container an /etc/subuid and /etc/subgid (build:1:999, build:1001:64536)');
    expect(result.stdout + result.stderr).toContain('owner 65534:65534');
    if (engine === 'docker') {
      // What was pushed keeps the owner: read it back on the rig's engine.
      const ref = `${repo}:app`;
      await execa('docker', ['pull', '-q', ref]);
      const { stdout } = await execa('docker', ['run', '--rm', '--network', 'none', ref, 'stat', '-c', '%u:%g', '/kept']);
      await execa('docker', ['rmi', ref], { reject: false });
      expect(stdout.trim()).toBe('65534:65534');
    }
  });

  it("65536 ids: the daemon user's checkout is written by werf as the namespace's root (that user here), twice; nothing foreign left", async () => {
    const { uid, gid } = daemonIds();
    const dir = project(`FROM ${BUSYBOX}\nRUN echo root > /root-built\n`).dir;
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'safe.directory=*', '--no-optional-locks', ...args], { cwd: dir, encoding: 'utf8' }).trim();
    const clean = () => {
      expect(execFileSync('find', [dir, '!', '-uid', String(uid)], { encoding: 'utf8' }).trim(), 'files owned by another uid').toBe('');
      expect(git('fsck', '--no-progress')).toBe('');
      expect(git('status', '--porcelain')).toBe('?? .werf-build-report.json');
      expect(
        git('worktree', 'list', '--porcelain')
          .split('\n')
          .filter((l) => l.startsWith('worktree ')),
      ).toEqual([`worktree ${dir}`]);
    };
    const first = await runWerfRun(['--verbose', 'build', '--save-build-report'], { cwd: dir, env: env() });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toContain(
      `werf runs as root of the rootless engine's user namespace: ${dir} belongs to werfrun-rl-${engine} (uid ${uid})`,
    );
    // Root maps the container's own ids: no /etc/subuid to fit.
    expect(first.stderr).not.toContain('/etc/subuid and /etc/subgid (');
    const report = statSync(path.join(dir, '.werf-build-report.json'));
    expect([report.uid, report.gid]).toEqual([uid, gid]);
    clean();
    const second = await runWerfRun(['build'], { cwd: dir, env: env() });
    expect(second.exitCode, second.stderr).toBe(0);
    clean();
    // Root's buildah storage (/var/lib/containers) and werf home are volumes of their own, named -uid0.
    const { stdout } = await execa('docker', ['volume', 'ls', '-q'], { env: { DOCKER_HOST: host } });
    const { storage } = (JSON.parse(readFileSync(path.join(dir, '.werfrunrc.json'), 'utf8')) as { volumes: { storage: string } }).volumes;
    expect(stdout.split('\n')).toContain(`${storage}-uid0`);
  });

  it("65536 ids: a checkout the namespace does not map (root's) stops before werf starts with the chown to the daemon user", async () => {
    const { uid, gid } = daemonIds();
    const dir = project(`FROM ${BUSYBOX}\n`).dir;
    execFileSync('chown', ['-R', '0:0', dir]);
    const result = await runWerfRun(['build'], { cwd: dir, env: env() });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toContain(`the checkout ${dir} belongs to uid 0, which the rootless engine's user namespace does not map`);
    expect(result.stderr).toContain(`chown -R ${uid}:${gid} ${dir}`);
    expect(result.stderr).not.toContain('starting werf');
  });

  it('65536 ids: a base image owning uid 70000 stops with the host fix, never privileged (even when allowed)', async () => {
    const dir = project(`FROM ${HIGH_ID_IMAGE}\nRUN true\n`).dir;
    const result = await runWerfRun(['--allow-privileged', 'build'], { cwd: dir, env: env() });
    expect(result.exitCode, result.stderr).toBe(125);
    expect(result.stdout + result.stderr).toContain('potentially insufficient UIDs or GIDs available in user namespace');
    expect(result.stderr).toContain('at least 165536 subordinate ids');
    expect(result.stderr).toContain(restart);
    expect(result.stderr).not.toMatch(/Retrying in mode privileged|allow the privileged/);
  });

  it('65000 ids (too few even for a fitting /etc/subuid): stops before werf starts, exit 125, with the numbers and the fix', async () => {
    await rootless('up', engine, 65000);
    const dir = project(`FROM ${BUSYBOX}\nRUN true\n`).dir;
    const result = await runWerfRun(['--allow-privileged', 'build'], { cwd: dir, env: env() });
    expect(result.exitCode, result.stderr).toBe(125);
    expect(result.stderr).toContain('no mode can work on this Docker host');
    expect(result.stderr).toContain('uids 0-65000 in the container, build needs up to 165535');
    expect(result.stderr).toContain('at least 165536 subordinate ids');
    expect(result.stderr).toContain(restart);
    expect(result.stderr).toContain('The privileged mode cannot help');
    expect(result.stderr).not.toContain('starting werf');
    expect(result.stdout).not.toContain('Building image');
  });

  it("231072 ids: a native build with the image's own ranges, and a fuse recovery", async () => {
    await rootless('up', engine, 231072);
    const dir = project(`FROM ${BUSYBOX}\nRUN echo native > /native\n`).dir;
    const native = await runWerfRun(['--verbose', 'build'], { cwd: dir, env: env() });
    expect(native.exitCode, native.stderr).toBe(0);
    expect(native.stderr).toContain('werf-run: starting werf build in mode native');
    expect(native.stderr).not.toContain('/etc/subuid and /etc/subgid (');
    expect(native.stderr).not.toMatch(/Falling back to single mapping/);
    // The cached "too small" from the 65536 runs was probed again, not trusted
    // (Podman 4.3 gives a new daemon ID on every call, so nothing is cached there).
    if (engine === 'docker') expect(native.stderr).toContain('its too small id range is probed again');

    const doctor = JSON.parse((await runWerfRun(['doctor', '--json'], { cwd: dir, env: env() })).stdout) as {
      facts: Record<string, { value: unknown }>;
      problems: unknown[];
    };
    expect(doctor.facts.rootlessDaemon?.value).toBe(true);
    expect(doctor.facts.idRange?.value).toMatchObject({ enough: true, uids: { available: 231073 } });
    expect(doctor.problems).toEqual([]);

    // As build: the fuse image's storage.conf forcing fuse-overlayfs is build's (rig/lib/images.sh); the stand-in as root passes --storage-driver.
    const fuse = project(`FROM ${BUSYBOX}\nRUN echo fuse > /fuse\n`, { image: { reference: FUSE_IMAGE } }, 'build').dir;
    const recovered = await runWerfRun(['build'], { cwd: fuse, env: env() });
    expect(recovered.exitCode, recovered.stderr).toBe(0);
    expect(recovered.stderr).toMatch(/mode native failed: buildah uses fuse-overlayfs .* Retrying in mode fuse/);
  });
});
