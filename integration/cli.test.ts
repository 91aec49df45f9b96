/**
 * The CLI against the real engine: werf's arguments and environment arriving
 * unchanged, config errors, credentials mounted read-only, unreadable
 * projects, and --dry-run creating nothing (checked by recording every Engine
 * API request through a proxy socket).
 */
import { createServer, connect as netConnect, type Server } from 'node:net';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { BIN, cleanEnv, makeProject, managedContainers, rig, runWerfRun } from './support.js';

const SH_IMAGE = rig.WERF_RUN_RIG_SH_IMAGE!;
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function shProject(config: Record<string, unknown> = {}, files: Record<string, string> = {}) {
  const project = makeProject({ 'README.md': 'test\n', ...files }, { image: { reference: SH_IMAGE }, ...config });
  cleanups.push(() => project.cleanup());
  return project;
}

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-cli-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A unix socket that forwards to the rig's engine and records each HTTP request line. */
async function recordingProxy(): Promise<{ url: string; requests: string[] }> {
  const socket = path.join(tempDir(), 'docker.sock');
  const upstream = new URL(rig.WERF_RUN_RIG_DOCKER_HOST ?? 'unix:///var/run/docker.sock').pathname;
  const requests: string[] = [];
  const server: Server = createServer((client) => {
    const engine = netConnect(upstream);
    client.on('data', (chunk: Buffer) => {
      for (const match of chunk.toString('latin1').matchAll(/^(GET|POST|PUT|DELETE|HEAD) (\S+) HTTP\/1\.[01]\r$/gm)) {
        requests.push(`${match[1]} ${match[2]!.replace(/^\/v[\d.]+/, '')}`);
      }
    });
    client.pipe(engine).pipe(client);
    client.on('error', () => engine.destroy());
    engine.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `unix://${socket}`, requests };
}

describe('werf arguments arrive unchanged', () => {
  it('keeps spaces, quotes, empty words, `--` and options after the werf command, end to end', async () => {
    const project = shProject();
    const args = ['sh', 'printf "<%s>\\n" "$@"', '--', 'a b', "it's", '"double"', '-x', '--verbose', '--', '$HOME', '', 'back\\slash', '*'];
    const result = await runWerfRun(['--quiet', ...args], { cwd: project.dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(['--', 'a b', "it's", '"double"', '-x', '--verbose', '--', '$HOME', '', 'back\\slash', '*'].map((a) => `<${a}>\n`).join(''));
    // --verbose after the werf command was werf's, not werf-run's.
    expect(result.stderr).toBe('');
  });

  it('`--` ends werf-run options, so a werf word that looks like one of ours reaches werf', async () => {
    const project = shProject();
    const result = await runWerfRun(['--dry-run', '--', '--mode', 'fuse'], { cwd: project.dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/ werf --mode fuse\n$/);
    expect(result.stdout).toContain('# mode:    native');
  });

  it("`werf-run help <cmd>` and `werf-run <cmd> --help` reach werf; `--help` and `--version` are werf-run's", async () => {
    const project = shProject();
    for (const args of [['help', 'build'], ['build', '--help']]) {
      const result = await runWerfRun(args, { cwd: project.dir });
      // Only the werf-sh double in the container prints this, and exits 1.
      expect(result.stderr).toContain("werf-sh test double: only 'werf version' and 'werf sh SCRIPT' exist");
      expect(result.exitCode).toBe(1);
      const dry = await runWerfRun(['--dry-run', ...args], { cwd: project.dir });
      expect(dry.stdout).toMatch(new RegExp(` werf ${args.join(' ')}\\n$`));
    }
    const help = await runWerfRun(['--help'], { cwd: project.dir });
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Usage: werf-run [werf-run options] <werf command> [werf arguments...]');
    expect(help.stdout).toContain('--dry-run');
    const version = await runWerfRun(['--version'], { cwd: project.dir });
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(await managedContainers(project.dir)).toEqual([]);
  });

  it('an unknown werf-run option before the werf command is a usage error (exit 2)', async () => {
    const project = shProject();
    const result = await runWerfRun(['--bogus', 'build'], { cwd: project.dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("werf-run: error: unknown option '--bogus'");
  });
});

describe('environment passed to werf', () => {
  it('passes WERF_* and CI variables, the config’s names and fixed values; not werf-run’s own nor the rest', async () => {
    const project = shProject({ env: { pass: ['MY_*'], set: { FIXED_VALUE: 'from config' } } });
    const result = await runWerfRun(['-q', 'sh', 'env | sort'], {
      cwd: project.dir,
      env: {
        WERF_LOG_VERBOSE: 'yes',
        CI_JOB_ID: '77',
        GITHUB_TOKEN: 'ghp_not_for_printing',
        MY_SETTING: 'mine',
        UNRELATED_VAR: 'nope',
        WERF_RUN_MAX_ATTEMPTS: '2',
      },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const env = result.stdout.split('\n');
    expect(env).toEqual(expect.arrayContaining(['WERF_LOG_VERBOSE=yes', 'CI_JOB_ID=77', 'GITHUB_TOKEN=ghp_not_for_printing', 'MY_SETTING=mine', 'FIXED_VALUE=from config']));
    expect(result.stdout).not.toContain('UNRELATED_VAR');
    expect(result.stdout).not.toContain('WERF_RUN_MAX_ATTEMPTS');
  });

  it('--dry-run and --verbose never print a secret value', async () => {
    const project = shProject();
    const env = { GITHUB_TOKEN: 'ghp_not_for_printing', WERF_SECRET_VALUES: 'hush-hush', CI_JOB_ID: '77' };
    const dry = await runWerfRun(['--dry-run', 'version'], { cwd: project.dir, env });
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toContain("--env 'GITHUB_TOKEN=<redacted>'");
    expect(dry.stdout).toContain("--env 'WERF_SECRET_VALUES=<redacted>'");
    expect(dry.stdout).toContain('--env CI_JOB_ID=77');
    const verbose = await runWerfRun(['--verbose', 'version'], { cwd: project.dir, env });
    expect(verbose.exitCode, verbose.stderr).toBe(0);
    expect(verbose.stderr).toContain('engine: POST /containers/create');
    for (const text of [dry.stdout, dry.stderr, verbose.stdout, verbose.stderr]) {
      expect(text).not.toContain('ghp_not_for_printing');
      expect(text).not.toContain('hush-hush');
    }
  });
});

describe('a reader that goes away', () => {
  it("closing stdout early (| head -1) keeps stderr, werf's exit code and leaves no container", async () => {
    const project = shProject();
    const werf = `node ${BIN} -q sh 'i=0; while [ $i -lt 20000 ]; do echo line $i; i=$((i+1)); done; echo done-on-stderr >&2; exit 7'`;
    const result = await execa('bash', ['-c', `${werf} | head -1; echo "werf-run exit: \${PIPESTATUS[0]}" >&2`], {
      cwd: project.dir,
      env: cleanEnv(),
      extendEnv: false,
      reject: false,
    });
    expect(result.stdout).toBe('line 0');
    expect(result.stderr).toContain('done-on-stderr');
    expect(result.stderr).toContain('werf-run exit: 7');
    expect(result.stderr).not.toContain('EPIPE');
    expect(await managedContainers(project.dir)).toEqual([]);
  });
});

describe('the Docker socket', () => {
  it('is not in the werf container by default, and with mountDockerSocket it is, usable by uid 1000 with DOCKER_HOST set', async () => {
    const script = 'if test -S /var/run/docker.sock && test -r /var/run/docker.sock && test -w /var/run/docker.sock; then echo socket-usable; else echo no-socket; fi; echo "DOCKER_HOST=$DOCKER_HOST"';
    const plain = await runWerfRun(['sh', script], { cwd: shProject().dir });
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stdout).toBe('no-socket\nDOCKER_HOST=\n');
    const asked = await runWerfRun(['sh', script], { cwd: shProject({ mountDockerSocket: true }).dir });
    expect(asked.exitCode, asked.stderr).toBe(0);
    expect(asked.stdout).toBe('socket-usable\nDOCKER_HOST=unix:///var/run/docker.sock\n');
    expect(asked.stderr).toContain('mounting the Docker socket /var/run/docker.sock into the werf container (mountDockerSocket)');
  });
});

describe('host credentials, copied in before start', () => {
  it('registry auths from DOCKER_CONFIG (generated, 0600), the ssh-agent socket and known_hosts reach werf at the image user’s paths', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    mkdirSync(path.join(dir, 'docker'));
    // 0600 and root's: a bind mount would be unreadable for uid 1000; the generated copy is the image user's.
    writeFileSync(path.join(dir, 'docker', 'config.json'), '{"auths": {"http://127.0.0.1:5001/v2/": {"auth": "dTpw"}}, "psFormat": "x"}\n', { mode: 0o600 });
    mkdirSync(path.join(dir, 'home', '.ssh'), { recursive: true });
    writeFileSync(path.join(dir, 'home', '.ssh', 'known_hosts'), 'git.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOwerfrun\n', { mode: 0o600 });
    writeFileSync(path.join(dir, 'deploy_key'), 'not a real key\n', { mode: 0o600 });
    const sock = path.join(dir, 'agent.sock');
    const agent = createServer((c) => c.end('agent says hi\n'));
    await new Promise<void>((resolve) => agent.listen(sock, resolve));
    cleanups.push(() => new Promise<void>((resolve) => agent.close(() => resolve())));
    chmodSync(sock, 0o666);
    const project = shProject();
    const script = [
      'tr -d " \\n" < "$HOME/.docker/config.json"; echo',
      'stat -c "%U %a" "$HOME/.docker/config.json"',
      'echo "SSH_AUTH_SOCK=$SSH_AUTH_SOCK"',
      'test -S "$SSH_AUTH_SOCK" && echo agent-socket-ok',
      'stat -c "%U %a" "$HOME/.ssh/known_hosts"; cat "$HOME/.ssh/known_hosts"',
      'echo "WERF_SSH_KEY_DEPLOY=$WERF_SSH_KEY_DEPLOY"; stat -c "%U %a" "$WERF_SSH_KEY_DEPLOY"; cat "$WERF_SSH_KEY_DEPLOY"',
      'echo tamper > "$HOME/.docker/config.json"',
    ].join('; ');
    const result = await runWerfRun(['-q', 'sh', script], {
      cwd: project.dir,
      env: { DOCKER_CONFIG: path.join(dir, 'docker'), SSH_AUTH_SOCK: sock, HOME: path.join(dir, 'home'), WERF_SSH_KEY_DEPLOY: path.join(dir, 'deploy_key') },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      [
        // Only auths, keyed by registry host: nothing else of the user's file.
        '{"auths":{"127.0.0.1:5001":{"auth":"dTpw"}}}',
        'build 600',
        'SSH_AUTH_SOCK=/tmp/werf-run-ssh-agent.sock',
        'agent-socket-ok',
        // The user's known_hosts, copied in (git over ssh verifies hosts with it).
        'build 644',
        'git.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOwerfrun',
        // WERF_SSH_KEY_* files are copied in, 0600 and the image user's, and the variable names the copy.
        'WERF_SSH_KEY_DEPLOY=/tmp/werf-run-ssh-keys/DEPLOY',
        'build 600',
        'not a real key',
        '',
      ].join('\n'),
    );
    // A copy: what werf writes stays in the container.
    expect(readFileSync(path.join(dir, 'docker', 'config.json'), 'utf8')).toBe('{"auths": {"http://127.0.0.1:5001/v2/": {"auth": "dTpw"}}, "psFormat": "x"}\n');
    expect(result.stderr).not.toContain('"auth": "x"');
  });
});

describe('proxies', () => {
  it("HTTPS_PROXY from the environment and the docker CLI's proxies reach werf's container", async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'docker'));
    writeFileSync(path.join(dir, 'docker', 'config.json'), JSON.stringify({ proxies: { default: { httpProxy: 'http://127.0.0.1:3129', noProxy: 'localhost' } } }));
    const project = shProject();
    const result = await runWerfRun(['-q', 'sh', 'env | grep -i _proxy= | sort'], {
      cwd: project.dir,
      env: { DOCKER_CONFIG: path.join(dir, 'docker'), HTTPS_PROXY: 'http://127.0.0.1:3128', HTTP_PROXY: undefined, http_proxy: undefined, https_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      ['HTTPS_PROXY=http://127.0.0.1:3128', 'HTTP_PROXY=http://127.0.0.1:3129', 'NO_PROXY=localhost', 'http_proxy=http://127.0.0.1:3129', 'no_proxy=localhost', ''].join('\n'),
    );
  });
});

describe('projects owned by another uid', () => {
  it('a world-readable checkout owned by root works for uid 1000', async () => {
    const project = shProject();
    const result = await runWerfRun(['-q', 'sh', 'id -u; cat README.md'], { cwd: project.dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('1000\ntest\n');
  });

  it('a 0700 checkout owned by root stops before any container, naming the dir and the fix', async () => {
    const project = shProject();
    chmodSync(project.dir, 0o700);
    const result = await runWerfRun(['sh', 'true'], { cwd: project.dir });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(`uid 1000, the werf image's user, cannot read and enter ${project.dir} (mode 0700, owner uid 0)`);
    expect(result.stderr).toContain(`fix: give uid 1000 access: setfacl -m u:1000:rx ${project.dir}`);
    expect(await managedContainers(project.dir)).toEqual([]);
  });
});

describe('bad config end to end: exit 2 before touching the engine', () => {
  it('names the file, the key, the value and what is allowed', async () => {
    const project = shProject({ image: { reference: SH_IMAGE, channel: 'nightly' } });
    const result = await runWerfRun(['version'], { cwd: project.dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`invalid werf-run config in ${path.join(project.dir, '.werfrunrc.json')}: image.channel is "nightly" (a string); allowed: "alpha"`);
  });

  it('a bad WERF_RUN_* value names the variable', async () => {
    const project = shProject();
    const result = await runWerfRun(['version'], { cwd: project.dir, env: { WERF_RUN_MAX_ATTEMPTS: 'lots' } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('invalid werf-run config in the environment: WERF_RUN_MAX_ATTEMPTS (maxAttempts) is "lots" (a string); expected a number');
    expect(result.stderr).not.toContain('.werfrunrc');
  });

  it('a forced privileged mode without permission is refused before the engine is asked anything', async () => {
    const project = shProject();
    const result = await runWerfRun(['--mode', 'privileged', 'version'], { cwd: project.dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('mode "privileged" is forced but the privileged mode is not allowed');
    expect(result.stderr).toContain('fix: also pass --allow-privileged');
    expect(result.stderr).not.toContain('connecting to the Docker Engine');
    expect(await managedContainers(project.dir)).toEqual([]);
  });
});

describe('config discovery end to end', () => {
  it('never reads a user-wide ~/.config/werfrun file (cosmiconfig would, after finding no project file)', async () => {
    const home = tempDir();
    mkdirSync(path.join(home, '.config', 'werfrun'), { recursive: true });
    writeFileSync(path.join(home, '.config', 'werfrun', 'config.json'), '{"mode": "privileged"}');
    const project = shProject();
    rmSync(path.join(project.dir, '.werfrunrc.json'));
    const result = await runWerfRun(['--dry-run', 'version'], { cwd: project.dir, env: { HOME: home, XDG_CONFIG_HOME: undefined, WERF_RUN_IMAGE: SH_IMAGE } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('# config:  none found');
    expect(result.stdout).toContain('# mode:    native');
    expect(result.stdout).not.toContain('--privileged');
  });

  it('--config PATH and a WERF_RUN_* variable override the project file, a flag overrides both', async () => {
    const project = shProject();
    const other = path.join(tempDir(), 'ci.yaml');
    writeFileSync(other, `image:\n  reference: ${SH_IMAGE}\nnetwork: host\nmode: fuse\n`);
    const fromFile = await runWerfRun(['--dry-run', '--config', other, 'version'], { cwd: project.dir });
    expect(fromFile.stdout).toContain(`# config:  ${other}`);
    expect(fromFile.stdout).toContain('--device /dev/fuse');
    const fromEnv = await runWerfRun(['--dry-run', '--config', other, 'version'], { cwd: project.dir, env: { WERF_RUN_MODE: 'native' } });
    expect(fromEnv.stdout).toContain('# mode:    native (mode forced to native');
    const fromFlag = await runWerfRun(['--dry-run', '--config', other, '--mode', 'privileged', '--allow-privileged', 'version'], { cwd: project.dir, env: { WERF_RUN_MODE: 'native' } });
    expect(fromFlag.stdout).toContain(' --privileged ');
  });
});

describe('--dry-run', () => {
  it('only reads from the engine: no container, image pull or volume is created', async () => {
    const project = shProject();
    const proxy = await recordingProxy();
    const result = await runWerfRun(['--dry-run', 'sh', 'echo should not run'], { cwd: project.dir, env: { WERF_RUN_DOCKER_HOST: proxy.url } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).not.toContain('should not run\n');
    expect(result.stdout).toMatch(/^# werf-run --dry-run: nothing was created/);
    expect(result.stdout).toContain(`# image:   ${SH_IMAGE} (present on the engine`);
    expect(result.stdout).toContain(`DOCKER_HOST=${proxy.url} docker run --rm --security-opt seccomp=unconfined`);
    // The requests really went through the proxy, and none of them changes anything.
    expect(proxy.requests).toEqual(expect.arrayContaining(['GET /_ping', 'GET /info', `GET /images/${SH_IMAGE}/json`]));
    expect(proxy.requests.filter((r) => !r.startsWith('GET ') && !r.startsWith('HEAD '))).toEqual([]);
    expect(await managedContainers(project.dir)).toEqual([]);
  });

  it('plans with assumed facts when the engine does not answer, and says so', async () => {
    const project = shProject();
    const result = await runWerfRun(['--dry-run', 'build'], { cwd: project.dir, env: { WERF_RUN_DOCKER_HOST: `unix://${tempDir()}/none.sock` } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('# engine:  unreachable');
    expect(result.stdout).toMatch(/# assumed: the engine did not answer \(no Docker Engine answered/);
    expect(result.stdout).toContain('# assumed: the host facts are unknown but for detect.* overrides');
    expect(result.stdout).toContain('(unknown: engine unreachable)');
    expect(result.stdout).toMatch(/docker run --rm .* werf build\n$/);
  });
});
