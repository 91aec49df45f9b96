/**
 * An engine whose host cannot see the checkout (a second dockerd with a
 * private /tmp: like a remote engine or Docker-in-Docker): werf-run finds out
 * through the engine, ships what git would see of the project into a volume,
 * and on the next run ships only what changed. Real engine, real buildah in
 * the stand-in, real git.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO_ROOT, cleanEnv, makeProject, rig, runWerfRun } from './support.js';
import { startPrivateTmpEngine, type PrivateTmpEngine } from './engines/private-tmp.js';

let engine: PrivateTmpEngine;
beforeAll(async () => {
  engine = await startPrivateTmpEngine();
});
afterAll(async () => {
  await engine?.stop();
});

const SHIPPED =
  /project files: shipped (?:(\d+) files|nothing new of (\d+) files|(\d+) changed of (\d+) files) \(([^)]+)\)(?:, removed \d+ gone)? into volume (werf-run-ship-\S+) in [\d.]+ s/;

/** What werf-run said it shipped: files sent, files in all, bytes, the volume. */
function shipped(stderr: string): { sent: number; files: number; bytes: string; volume: string } {
  const m = SHIPPED.exec(stderr);
  if (!m) throw new Error(`no "project files: shipped" line in:\n${stderr}`);
  const [, all, nothingOf, changed, changedOf, bytes, volume] = m;
  if (all) return { sent: Number(all), files: Number(all), bytes: bytes!, volume: volume! };
  if (nothingOf) return { sent: 0, files: Number(nothingOf), bytes: bytes!, volume: volume! };
  return { sent: Number(changed), files: Number(changedOf), bytes: bytes!, volume: volume! };
}

/** Every path in a volume on the private engine, relative, sorted. */
async function volumeFiles(volume: string): Promise<string[]> {
  const out = await engine.docker([
    'run',
    '--rm',
    '--network',
    'none',
    '-v',
    `${volume}:/v:ro`,
    rig.WERF_RUN_RIG_BUSYBOX!,
    'sh',
    '-c',
    'cd /v && find . -mindepth 1',
  ]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((p) => p.replace(/^\.\//, ''))
    .sort();
}

/** The private engine's clock (docker events takes its times). */
const engineNow = async (): Promise<string> => (await engine.docker(['info', '--format', '{{.SystemTime}}'])).trim();

/** What happened to this project's ship helper containers between two engine times: create, archive-path (a read), extract-to-dir (a tar sent), destroy. */
async function shipHelperEvents(projectDir: string, since: string, until: string): Promise<string[]> {
  const out = await engine.docker([
    'events',
    ...['--since', since, '--until', until],
    ...['--filter', 'type=container', '--filter', `label=werf-run.project=${projectDir}`, '--filter', 'label=werf-run.role=ship'],
    ...['--format', '{{.Action}}'],
  ]);
  return out.split('\n').filter(Boolean);
}

/** Every container event on the private engine between two engine times, as "<action> <werf-run.role label or werf>". */
async function containerEvents(since: string, until: string): Promise<string[]> {
  const out = await engine.docker([
    'events',
    ...['--since', since, '--until', until],
    ...['--filter', 'type=container'],
    ...['--format', '{{.Action}} {{index .Actor.Attributes "werf-run.role"}}'],
  ]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => (line.endsWith(' ') || !line.includes(' ') ? `${line.trim()} werf` : line));
}

/** A git project with a .gitignore'd .env and node_modules (made after the commit), and the werf-sh double (fast: `werf version`). */
function shippedProject(files: Record<string, string> = {}) {
  const project = makeProject(
    {
      '.gitignore': '.env\nnode_modules/\n*.log\n',
      'werf.yaml': 'project: shipped\nconfigVersion: 1\n',
      'src/app.js': 'console.log(1)\n',
      ...files,
    },
    { image: { reference: rig.WERF_RUN_RIG_SH_IMAGE } },
  );
  writeFileSync(path.join(project.dir, '.env'), 'AWS_SECRET_ACCESS_KEY=do-not-ship\n');
  mkdirSync(path.join(project.dir, 'node_modules', 'dep'), { recursive: true });
  writeFileSync(path.join(project.dir, 'node_modules', 'dep', 'index.js'), 'module.exports = 1\n');
  writeFileSync(path.join(project.dir, 'debug.log'), 'noise\n');
  writeFileSync(path.join(project.dir, 'untracked.txt'), 'not ignored, not committed\n');
  return project;
}

describe('an engine that cannot see the checkout', () => {
  it('builds by shipping the project; the second build ships only the changed file', async () => {
    const project = makeProject({
      'werf.yaml': 'project: shipped\nconfigVersion: 1\n---\nimage: app\ndockerfile: app.Dockerfile\n',
      'app.Dockerfile': 'FROM 127.0.0.1:5000/library/busybox:latest\nCOPY msg.txt /msg.txt\nRUN cat /msg.txt\n',
      'msg.txt': 'first message\n',
      'sub/other.txt': 'unchanged\n',
    });
    try {
      // The project is in this machine's /tmp; the engine's /tmp is its own.
      await expect(
        engine.docker([
          'run',
          '--rm',
          '--mount',
          `type=bind,source=${project.dir},target=/p,readonly`,
          '127.0.0.1:5000/library/busybox:latest',
          'true',
        ]),
      ).rejects.toThrow(/bind source path does not exist|no such file/i);
      const env = { DOCKER_HOST: engine.host };
      const first = await runWerfRun(['--verbose', 'build'], { cwd: project.dir, env });
      expect(first.exitCode, first.stderr).toBe(0);
      expect(first.stdout + first.stderr).toContain('first message');
      expect(first.stderr).toMatch(/\(the engine's host does not see this checkout: the engine's host has no \//);
      const shippedFirst = shipped(first.stderr);
      expect(shippedFirst.sent).toBeGreaterThan(8);
      expect(shippedFirst.volume).toMatch(new RegExp(`^werf-run-ship-${os.userInfo().username}-`));

      writeFileSync(path.join(project.dir, 'msg.txt'), 'second message\n');
      // werf builds from the commit; --dev takes the working tree's change (the stand-in's dev_commit, as werf's service branch).
      const second = await runWerfRun(['--verbose', 'build', '--dev'], { cwd: project.dir, env });
      expect(second.exitCode, second.stderr).toBe(0);
      expect(second.stdout + second.stderr).toContain('second message');
      expect(shipped(second.stderr)).toEqual({ sent: 1, files: shippedFirst.files, bytes: '15 B', volume: shippedFirst.volume });
      expect(second.stderr.match(/shipped \/\S+/g)).toEqual([`shipped ${path.join(project.dir, 'msg.txt')}`]);
    } finally {
      await project.cleanup();
    }
  });

  it('ships what git would see: ignored files (.env, node_modules) never arrive; an unchanged tree sends no file content', async () => {
    const project = shippedProject();
    const cache = mkdtempSync(path.join(os.tmpdir(), 'werf-run-it-ship-cache-'));
    try {
      const env = { DOCKER_HOST: engine.host, XDG_CACHE_HOME: cache };
      const tFirst = await engineNow();
      const first = await runWerfRun(['--verbose', 'version'], { cwd: project.dir, env });
      expect(first.exitCode, first.stderr).toBe(0);
      const { volume, files } = shipped(first.stderr);
      const inVolume = await volumeFiles(volume);
      expect(inVolume).toEqual(
        expect.arrayContaining(['.gitignore', '.werfrunrc.json', 'werf.yaml', 'src/app.js', 'untracked.txt', '.git/HEAD', '.git/config']),
      );
      for (const ignored of ['.env', 'node_modules', 'node_modules/dep/index.js', 'debug.log']) expect(inVolume).not.toContain(ignored);
      expect(first.stderr).not.toMatch(/shipped \S+\/(\.env|node_modules|debug\.log)/);

      // Nothing changed: confirmed from this machine's stat data; no file is sent, no helper container made.
      const t0 = await engineNow();
      // The first ship: one tar (one extract) into one helper (the generation asked of the new, empty volume is not there: no archive-path event).
      expect(await shipHelperEvents(project.dir, tFirst, t0)).toEqual(['create', 'extract-to-dir', 'destroy']);
      const again = await runWerfRun(['--verbose', 'version'], { cwd: project.dir, env });
      const t1 = await engineNow();
      expect(again.exitCode, again.stderr).toBe(0);
      expect(shipped(again.stderr)).toEqual({ sent: 0, files, bytes: '0 B', volume });
      expect(again.stderr).not.toMatch(/debug: shipped \//);
      expect(again.stderr).toContain("ship: what the volume holds was known from this machine's copy of its manifest (stat data)");
      expect(await shipHelperEvents(project.dir, t0, t1)).toEqual([]);

      // One file changed: it rides in werf's own container's archive (one extract, into werf's container), nothing read back
      // from the volumes (this machine's copy describes them); the helper is only created and removed (the lock), never started.
      writeFileSync(path.join(project.dir, 'src', 'app.js'), 'console.log(3)\n');
      const changed = await runWerfRun(['--verbose', 'version'], { cwd: project.dir, env });
      const t2 = await engineNow();
      expect(changed.exitCode, changed.stderr).toBe(0);
      expect(shipped(changed.stderr)).toEqual({ sent: 1, files, bytes: '15 B', volume });
      expect(changed.stderr).toMatch(
        /project files: 1 changed of \d+ files \(15 B\) go into volume \S+ with werf's own files, before werf starts/,
      );
      expect(changed.stderr).toMatch(/shipped 1 changed of \d+ files \(15 B\) into volume \S+ in [\d.]+ s with werf's own files/);
      expect(changed.stderr.match(/debug: shipped \/\S+/g)).toEqual([`debug: shipped ${path.join(project.dir, 'src', 'app.js')}`]);
      expect(await shipHelperEvents(project.dir, t1, t2)).toEqual(['create', 'destroy']);
      const events = (await containerEvents(t1, t2)).filter((e) => /^(create|start|extract-to-dir|archive-path) /.test(e));
      expect(events.filter((e) => e.startsWith('create ')).sort()).toEqual(['create ship', 'create werf']);
      expect(events.filter((e) => !e.startsWith('create '))).toEqual(['extract-to-dir werf', 'start werf']);
      expect(
        await engine.docker([
          'run',
          '--rm',
          '--network',
          'none',
          '-v',
          `${volume}:/v:ro`,
          rig.WERF_RUN_RIG_BUSYBOX!,
          'cat',
          '/v/src/app.js',
        ]),
      ).toBe('console.log(3)');

      // Without this machine's copy (a new cache dir), the volume's manifest says the same.
      const fresh = await runWerfRun(['--verbose', 'version'], {
        cwd: project.dir,
        env: { ...env, XDG_CACHE_HOME: path.join(cache, 'other') },
      });
      expect(fresh.exitCode, fresh.stderr).toBe(0);
      expect(shipped(fresh.stderr)).toEqual({ sent: 0, files, bytes: '0 B', volume });
      expect(fresh.stderr).toContain("ship: what the volume holds was known from the volume's manifest");

      // Volumes removed (pruned) behind werf-run's back: this machine's copy no longer stands for them; all is shipped again.
      await engine.docker(['volume', 'rm', volume, `${volume}-manifest`]);
      const pruned = await runWerfRun(['--verbose', 'version'], { cwd: project.dir, env });
      expect(pruned.exitCode, pruned.stderr).toBe(0);
      expect(shipped(pruned.stderr)).toMatchObject({ sent: files, files, volume });

      // ship.include adds an ignored path the user names.
      writeFileSync(
        path.join(project.dir, '.werfrunrc.json'),
        JSON.stringify({
          ...JSON.parse(readFileSync(path.join(project.dir, '.werfrunrc.json'), 'utf8')),
          ship: { include: ['debug.log'] },
        }),
      );
      const included = await runWerfRun(['--verbose', 'version'], { cwd: project.dir, env });
      expect(included.exitCode, included.stderr).toBe(0);
      expect(included.stderr.match(/debug: shipped \/\S+/g)).toEqual([
        `debug: shipped ${path.join(project.dir, '.werfrunrc.json')}`,
        `debug: shipped ${path.join(project.dir, 'debug.log')}`,
      ]);
      expect(await volumeFiles(volume)).toContain('debug.log');
      expect(await volumeFiles(volume)).not.toContain('.env');
    } finally {
      rmSync(cache, { recursive: true, force: true });
      await project.cleanup();
    }
  });

  it('two runs shipping one project at once: one ships the change, the other waits and finds nothing new', async () => {
    const project = shippedProject();
    try {
      const env = { DOCKER_HOST: engine.host };
      const first = await runWerfRun(['version'], { cwd: project.dir, env });
      expect(first.exitCode, first.stderr).toBe(0);
      writeFileSync(path.join(project.dir, 'src', 'app.js'), 'console.log(2)\n');
      const both = await Promise.all([0, 1].map(() => runWerfRun(['--verbose', 'version'], { cwd: project.dir, env })));
      for (const r of both) expect(r.exitCode, r.stderr).toBe(0);
      const sent = both.map((r) => shipped(r.stderr).sent).sort();
      expect(sent, both.map((r) => r.stderr).join('\n----\n')).toEqual([0, 1]);
      const after = await runWerfRun(['version'], { cwd: project.dir, env });
      expect(shipped(after.stderr).sent).toBe(0);
      const { volume } = shipped(after.stderr);
      const content = await engine.docker([
        'run',
        '--rm',
        '--network',
        'none',
        '-v',
        `${volume}:/v:ro`,
        rig.WERF_RUN_RIG_BUSYBOX!,
        'cat',
        '/v/src/app.js',
      ]);
      expect(content).toBe('console.log(2)');
      // The lock (the helper container's name) is gone with the runs.
      expect(await engine.docker(['ps', '-aq', '--filter', 'label=werf-run.role=ship'])).toBe('');
    } finally {
      await project.cleanup();
    }
  });

  it('refuses a crafted manifest with ".." entries: nothing is removed outside the volumes', async () => {
    const project = shippedProject();
    const cache = mkdtempSync(path.join(os.tmpdir(), 'werf-run-it-ship-cache-'));
    try {
      const env = { DOCKER_HOST: engine.host, XDG_CACHE_HOME: cache };
      const first = await runWerfRun(['version'], { cwd: project.dir, env });
      expect(first.exitCode, first.stderr).toBe(0);
      const { volume } = shipped(first.stderr);
      const manifestVolume = `${volume}-manifest`;
      // Someone with access to the engine rewrites the manifest: an entry the next run would "remove", two levels up.
      const crafted = JSON.stringify({
        version: 2,
        generation: 'crafted',
        units: [
          {
            dir: project.dir,
            volume,
            entries: {
              '': { type: 'dir', size: 0, mtimeMs: 1, mode: 493 },
              '../meta/canary': { type: 'file', size: 1, mtimeMs: 1, mode: 420 },
            },
          },
        ],
      });
      await engine.docker([
        'run',
        '--rm',
        '--network',
        'none',
        '-v',
        `${manifestVolume}:/m`,
        rig.WERF_RUN_RIG_BUSYBOX!,
        'sh',
        '-c',
        `printf '%s' '${crafted}' > /m/manifest.json && echo crafted > /m/generation && echo keep > /m/canary`,
      ]);
      const run = await runWerfRun(['version'], { cwd: project.dir, env: { ...env, XDG_CACHE_HOME: path.join(cache, 'fresh') } });
      expect(run.exitCode, run.stderr).toBe(125);
      expect(run.stderr).toContain(
        `the ship manifest in volume ${manifestVolume} is not werf-run's: it has the entry "../meta/canary" (an absolute path or one with "..")`,
      );
      expect(run.stderr).toContain(`docker volume rm ${volume} ${manifestVolume}`);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(
        await engine.docker([
          'run',
          '--rm',
          '--network',
          'none',
          '-v',
          `${manifestVolume}:/m:ro`,
          rig.WERF_RUN_RIG_BUSYBOX!,
          'cat',
          '/m/canary',
        ]),
      ).toBe('keep');
      expect(await engine.docker(['ps', '-aq', '--filter', 'label=werf-run.managed=true'])).toBe('');
    } finally {
      rmSync(cache, { recursive: true, force: true });
      await project.cleanup();
    }
  });

  it('names a file it cannot read (exit 2, no stack trace, nothing left running)', async () => {
    const project = shippedProject({ 'secret.key': 'not for you\n' });
    try {
      chmodSync(path.join(project.dir, 'secret.key'), 0o000);
      // As root every file is readable: drop the capabilities that make it so (the kernel's own EACCES follows).
      const run = await execa(
        'setpriv',
        ['--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-dac_override,-dac_read_search', 'node', BIN, 'version'],
        {
          cwd: project.dir,
          env: cleanEnv({ DOCKER_HOST: engine.host }),
          extendEnv: false,
          reject: false,
          input: '',
        },
      );
      expect(run.exitCode, run.stderr).toBe(2);
      expect(run.stderr).toContain(`cannot read ${path.join(project.dir, 'secret.key')} to ship it to the engine (EACCES)`);
      expect(run.stderr).toContain('add it to .gitignore');
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(await engine.docker(['ps', '-aq', '--filter', 'label=werf-run.managed=true'])).toBe('');
    } finally {
      chmodSync(path.join(project.dir, 'secret.key'), 0o644);
      await project.cleanup();
    }
  });

  it("a change it cannot read while it rides in werf's archive: exit 2, nothing left, and the next run sends it", async () => {
    const project = shippedProject({ 'secret.key': 'not for you\n' });
    const cache = mkdtempSync(path.join(os.tmpdir(), 'werf-run-it-ship-cache-'));
    const secret = path.join(project.dir, 'secret.key');
    try {
      const env = { DOCKER_HOST: engine.host, XDG_CACHE_HOME: cache };
      const first = await runWerfRun(['version'], { cwd: project.dir, env });
      expect(first.exitCode, first.stderr).toBe(0);
      // Another size: this machine's copy says it changed without hashing it, so it is read only into werf's archive.
      writeFileSync(secret, 'changed\n');
      chmodSync(secret, 0o000);
      const run = await execa(
        'setpriv',
        ['--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-dac_override,-dac_read_search', 'node', BIN, 'version'],
        { cwd: project.dir, env: cleanEnv(env), extendEnv: false, reject: false, input: '' },
      );
      expect(run.exitCode, run.stderr).toBe(2);
      expect(run.stderr).toContain('go into volume');
      expect(run.stderr).toContain(`cannot read ${secret} to ship it to the engine (EACCES)`);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      // Neither werf's container nor the lock is left.
      expect(await engine.docker(['ps', '-aq', '--filter', 'label=werf-run.managed=true'])).toBe('');
      expect(await engine.docker(['ps', '-aq', '--filter', 'label=werf-run.role=ship'])).toBe('');
      chmodSync(secret, 0o644);
      const again = await runWerfRun(['--verbose', 'version'], { cwd: project.dir, env });
      expect(again.exitCode, again.stderr).toBe(0);
      expect(again.stderr.match(/debug: shipped \/\S+/g)).toEqual([`debug: shipped ${secret}`]);
      const { volume } = shipped(again.stderr);
      expect(
        await engine.docker([
          'run',
          '--rm',
          '--network',
          'none',
          '-v',
          `${volume}:/v:ro`,
          rig.WERF_RUN_RIG_BUSYBOX!,
          'cat',
          '/v/secret.key',
        ]),
      ).toBe('changed');
    } finally {
      chmodSync(secret, 0o644);
      rmSync(cache, { recursive: true, force: true });
      await project.cleanup();
    }
  });

  it("a cold run where the engine's host has the checkout's path with other content: werf's container stops before werf, writes nothing there, and the run ships", async () => {
    const project = makeProject({
      'werf.yaml': 'project: lookalike\nconfigVersion: 1\n---\nimage: app\ndockerfile: app.Dockerfile\n',
      'app.Dockerfile': 'FROM 127.0.0.1:5000/library/busybox:latest\nCOPY msg.txt /msg.txt\nRUN cat /msg.txt\n',
      'msg.txt': 'the real checkout\n',
    });
    const cache = mkdtempSync(path.join(os.tmpdir(), 'werf-run-it-lookalike-'));
    // The same path on the engine's host (its own /tmp), another project there: a stale copy, another user's checkout.
    const there = ['run', '--rm', '--network', 'none', '-v', '/tmp:/host-tmp', rig.WERF_RUN_RIG_BUSYBOX!, 'sh', '-c'];
    const inThere = `/host-tmp${project.dir.slice('/tmp'.length)}`;
    try {
      await engine.docker([...there, `mkdir -p ${inThere} && echo 'project: other' > ${inThere}/werf.yaml && chmod -R a+rwX ${inThere}`]);
      const run = await runWerfRun(['--verbose', 'build'], { cwd: project.dir, env: { DOCKER_HOST: engine.host, XDG_CACHE_HOME: cache } });
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stderr).toMatch(
        /werf's container stopped before werf: the engine's host does not see this checkout: (git HEAD there is none|werf\.yaml differs)/,
      );
      expect(run.stdout + run.stderr).toContain('the real checkout');
      expect(shipped(run.stderr).sent).toBeGreaterThan(3);
      // werf never ran in the container that had the other project mounted: nothing was written there (no .git, no worktree entries).
      expect((await engine.docker([...there, `ls -A ${inThere}`])).trim()).toBe('werf.yaml');
    } finally {
      await engine.docker([...there, `rm -rf ${inThere}`]).catch(() => undefined);
      rmSync(cache, { recursive: true, force: true });
      await project.cleanup();
    }
  });

  it('docs/housekeeping.md: the listed commands find and remove the ship volumes', async () => {
    const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'housekeeping.md'), 'utf8');
    const list = /^ {4}(docker volume ls --filter name=werf-run-ship- .*?)\s+#/m.exec(doc)?.[1];
    const prune = /^ {4}(docker volume ls -q --filter name=werf-run-ship- \| xargs -r docker volume rm)\b/m.exec(doc)?.[1];
    expect(list, 'the list command in docs/housekeeping.md').toBeDefined();
    expect(prune, 'the prune command in docs/housekeeping.md').toBeDefined();
    const env = { ...process.env, DOCKER_HOST: engine.host };
    const before = (await execa('sh', ['-c', list!], { env })).stdout;
    expect(before).toMatch(/^werf-run-ship-\S+-manifest$/m);
    await execa('sh', ['-c', prune!], { env });
    expect((await execa('sh', ['-c', list!], { env })).stdout).toBe('');
  });
});
