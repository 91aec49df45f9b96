/**
 * The CLI against the real engine: werf's arguments and environment arriving
 * unchanged, config errors, credentials mounted read-only, unreadable
 * projects, and --dry-run creating nothing (checked by recording every Engine
 * API request through a proxy socket).
 */
import { execFileSync } from 'node:child_process';
import { createServer, connect as netConnect, type Server } from 'node:net';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { BIN, REPO_ROOT, cleanEnv, makeProject, managedContainers, rig, runWerfRun } from './support.js';

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
    expect(result.stdout).toBe(
      ['--', 'a b', "it's", '"double"', '-x', '--verbose', '--', '$HOME', '', 'back\\slash', '*'].map((a) => `<${a}>\n`).join(''),
    );
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
    for (const args of [
      ['help', 'build'],
      ['build', '--help'],
    ]) {
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
    expect(result.stderr).toContain("werf-run: error: unknown werf-run option '--bogus' before the werf command build");
  });

  it("werf's option before the werf command is answered with the order and the corrected line", async () => {
    const project = shProject();
    const result = await runWerfRun(['--repo', 'X', 'build'], { cwd: project.dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      "werf-run: error: unknown werf-run option '--repo' before the werf command build: werf's options go after the werf command\n  fix: werf-run build --repo X\n",
    );
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
    expect(env).toEqual(
      expect.arrayContaining([
        'WERF_LOG_VERBOSE=yes',
        'CI_JOB_ID=77',
        'GITHUB_TOKEN=ghp_not_for_printing',
        'MY_SETTING=mine',
        'FIXED_VALUE=from config',
      ]),
    );
    expect(result.stdout).not.toContain('UNRELATED_VAR');
    expect(result.stdout).not.toContain('WERF_RUN_MAX_ATTEMPTS');
  });

  it('--dry-run and --verbose never print a secret value', async () => {
    const project = shProject();
    const env = { GITHUB_TOKEN: 'ghp_not_for_printing', WERF_SECRET_VALUES: 'hush-hush', CI_JOB_ID: '77' };
    const dry = await runWerfRun(['--dry-run', 'version'], { cwd: project.dir, env });
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/--env GITHUB_TOKEN( |$)/m);
    expect(dry.stdout).toMatch(/--env WERF_SECRET_VALUES( |$)/m);
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

describe("werf's own failure", () => {
  it("ends with one line naming werf's command, its exit code and the mode, so werf's 125 is not werf-run's", async () => {
    const project = shProject();
    for (const args of [
      ['sh', 'echo pushing >&2; exit 125'],
      ['-q', 'sh', 'exit 3'],
    ]) {
      const result = await runWerfRun(args, { cwd: project.dir });
      const code = args[0] === '-q' ? 3 : 125;
      expect(result.exitCode).toBe(code);
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines.at(-1)).toBe(
        `werf-run: werf sh exited with code ${code} in mode native (werf's own exit code, passed through; werf-run itself did not fail)`,
      );
      expect(lines.filter((l) => l.includes('exited with code'))).toHaveLength(1);
    }
    const ok = await runWerfRun(['sh', 'true'], { cwd: project.dir });
    expect(ok.exitCode).toBe(0);
    expect(ok.stderr).not.toContain('exited with code');
    expect(await managedContainers(project.dir)).toEqual([]);
  });
});

describe("werf's image on a registry the engine cannot reach (offline here: ghcr.io does not resolve)", () => {
  it('suggests image.repository (a mirror such as registry.werf.io) and --image, not --pull never', async () => {
    const project = shProject({ image: { pull: 'always' } });
    const result = await runWerfRun(['-q', 'build'], { cwd: project.dir });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toMatch(/pulling ghcr\.io\/werf\/werf:2-stable-alpine on \S+ failed: .*lookup ghcr\.io.*no such host/);
    expect(result.stderr).toContain(
      "fix: the engine cannot reach ghcr.io (offline, or only a mirror is reachable): take werf's image from a registry the engine reaches, with image.repository (werf's mirror registry.werf.io/werf/werf, or your own mirror) or --image <reference>",
    );
    expect(result.stderr).not.toContain('--pull never');
    expect(await managedContainers(project.dir)).toEqual([]);
  });
});

describe('a reader that goes away', () => {
  it("closing stdout after werf finished keeps stderr, werf's exit code and leaves no container", async () => {
    const project = shProject();
    // About 200 kB, more than the pipe holds: werf-run still writes when the reader, which starts
    // once the engine says werf's container exited, goes away after one line.
    const werf = `node ${BIN} -q sh 'i=0; while [ $i -lt 20000 ]; do echo line $i; i=$((i+1)); done; echo done-on-stderr >&2; exit 7'`;
    const result = await execa(
      'bash',
      [
        '-c',
        `${werf} | { until [ -n "$(docker ps -aq --filter label=werf-run.project=$PWD --filter label=werf-run.mode --filter status=exited)" ]; do sleep 0.2; done; sleep 1; head -1; }; echo "werf-run exit: \${PIPESTATUS[0]}" >&2`,
      ],
      {
        cwd: project.dir,
        env: cleanEnv(),
        extendEnv: false,
        reject: false,
      },
    );
    expect(result.stdout).toBe('line 0');
    expect(result.stderr).toContain('done-on-stderr');
    expect(result.stderr).toContain('werf-run exit: 7');
    expect(result.stderr).not.toContain('EPIPE');
    expect(await managedContainers(project.dir)).toEqual([]);
  });

  /** Runs `werf-run ... REDIRECT | head -c 10` in bash; werf-run's exit code and how long the whole took. */
  async function underHead(script: string, redirect: string) {
    const project = shProject();
    const werf = `node ${BIN} -q sh '${script}' ${redirect}`;
    const started = Date.now();
    const result = await execa('bash', ['-c', `${werf} | head -c 10; rc=\${PIPESTATUS[0]}; echo; echo "werf-run exit: $rc"`], {
      cwd: project.dir,
      env: cleanEnv(),
      extendEnv: false,
      reject: false,
      timeout: 90_000,
    });
    return { result, seconds: (Date.now() - started) / 1000, left: await managedContainers(project.dir) };
  }

  it('closing stdout while werf still prints stops werf gracefully, removes it and exits 141', async () => {
    // werf stops on SIGTERM (a trap here, signal.Notify in werf).
    const { result, seconds, left } = await underHead(
      'trap "echo werf-got-SIGTERM >&2; exit 143" TERM; while :; do echo endless-stdout; done',
      '',
    );
    expect(result.stdout).toMatch(/^endless-s\n?/);
    expect(result.stdout, result.stderr).toContain('werf-run exit: 141');
    expect(result.stderr).toContain('werf-got-SIGTERM');
    expect(seconds).toBeLessThan(8);
    expect(left).toEqual([]);
  });

  it('closing stderr while werf still prints there: the same, killed after the grace time when werf ignores SIGTERM', async () => {
    // sh as PID 1 without a trap ignores SIGTERM: the kill after the 10 s grace ends it.
    const { result, seconds, left } = await underHead('while :; do echo endless-stderr >&2; done', '2>&1 >/dev/null');
    expect(result.stdout).toMatch(/^endless-st/);
    expect(result.stdout).toContain('werf-run exit: 141');
    expect(seconds).toBeGreaterThan(9);
    expect(seconds).toBeLessThan(30);
    expect(left).toEqual([]);
  });
});

describe('the Docker socket', () => {
  it('is not in the werf container by default, and with mountDockerSocket it is, usable by uid 1000 with DOCKER_HOST set', async () => {
    const script =
      'if test -S /var/run/docker.sock && test -r /var/run/docker.sock && test -w /var/run/docker.sock; then echo socket-usable; else echo no-socket; fi; echo "DOCKER_HOST=$DOCKER_HOST"';
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
    writeFileSync(
      path.join(dir, 'docker', 'config.json'),
      '{"auths": {"http://127.0.0.1:5001/v2/": {"auth": "dTpw"}}, "psFormat": "x"}\n',
      { mode: 0o600 },
    );
    mkdirSync(path.join(dir, 'home', '.ssh'), { recursive: true });
    writeFileSync(path.join(dir, 'home', '.ssh', 'known_hosts'), 'git.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOwerfrun\n', {
      mode: 0o600,
    });
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
      env: {
        DOCKER_CONFIG: path.join(dir, 'docker'),
        SSH_AUTH_SOCK: sock,
        HOME: path.join(dir, 'home'),
        WERF_SSH_KEY_DEPLOY: path.join(dir, 'deploy_key'),
      },
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
    expect(readFileSync(path.join(dir, 'docker', 'config.json'), 'utf8')).toBe(
      '{"auths": {"http://127.0.0.1:5001/v2/": {"auth": "dTpw"}}, "psFormat": "x"}\n',
    );
    expect(result.stderr).not.toContain('"auth": "x"');
  });
});

describe('proxies', () => {
  it("HTTPS_PROXY from the environment and the docker CLI's proxies reach werf's container", async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'docker'));
    writeFileSync(
      path.join(dir, 'docker', 'config.json'),
      JSON.stringify({ proxies: { default: { httpProxy: 'http://127.0.0.1:3129', noProxy: 'localhost' } } }),
    );
    const project = shProject();
    const result = await runWerfRun(['-q', 'sh', 'env | grep -i _proxy= | sort'], {
      cwd: project.dir,
      env: {
        DOCKER_CONFIG: path.join(dir, 'docker'),
        HTTPS_PROXY: 'http://127.0.0.1:3128',
        HTTP_PROXY: undefined,
        http_proxy: undefined,
        https_proxy: undefined,
        NO_PROXY: undefined,
        no_proxy: undefined,
      },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      [
        'HTTPS_PROXY=http://127.0.0.1:3128',
        'HTTP_PROXY=http://127.0.0.1:3129',
        'NO_PROXY=localhost',
        'http_proxy=http://127.0.0.1:3129',
        'no_proxy=localhost',
        '',
      ].join('\n'),
    );
  });
});

describe('projects owned by another uid', () => {
  /** A checkout root owns (makeProject gives its projects to uid 1000, a laptop user's). */
  const rootOwned = () => {
    const project = shProject();
    execFileSync('chown', ['-R', '0:0', project.dir]);
    return project;
  };

  it('a world-readable checkout owned by root works for uid 1000', async () => {
    const project = rootOwned();
    const result = await runWerfRun(['-q', 'sh', 'id -u; cat README.md'], { cwd: project.dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('1000\ntest\n');
  });

  it('a 0700 checkout owned by root stops before any container, naming the dir and the fix', async () => {
    const project = rootOwned();
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
    expect(result.stderr).toContain(
      `invalid werf-run config in ${path.join(project.dir, '.werfrunrc.json')}: image.channel is "nightly" (a string); allowed: "alpha"`,
    );
  });

  it('a bad WERF_RUN_* value names the variable', async () => {
    const project = shProject();
    const result = await runWerfRun(['version'], { cwd: project.dir, env: { WERF_RUN_MAX_ATTEMPTS: 'lots' } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      'invalid werf-run config in the environment: WERF_RUN_MAX_ATTEMPTS (maxAttempts) is "lots" (a string); expected a number',
    );
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

  it('the privileged refusal comes even when the engine is unreachable (no engine error), for a run, --export and doctor', async () => {
    const project = shProject();
    const env = { DOCKER_HOST: 'tcp://127.0.0.1:1' };
    for (const args of [
      ['--mode', 'privileged', 'version'],
      ['--mode', 'privileged', '--export', 'docker-run'],
      ['--mode', 'privileged', 'doctor'],
    ]) {
      const result = await runWerfRun(args, { cwd: project.dir, env });
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toBe(
        'werf-run: error: mode "privileged" is forced but the privileged mode is not allowed\n  fix: also pass --allow-privileged (or set allowPrivileged: true) to allow it\n',
      );
    }
    const fromEnv = await runWerfRun(['version'], { cwd: project.dir, env: { ...env, WERF_RUN_MODE: 'privileged' } });
    expect(fromEnv.exitCode).toBe(2);
    expect(fromEnv.stderr).not.toMatch(/Docker Engine|127\.0\.0\.1:1/);
  });

  it('a misspelled WERF_RUN_* variable warns without -v, naming the variable it is close to; a secret in a bad config value is masked', async () => {
    const project = shProject();
    const result = await runWerfRun(['--dry-run', 'version'], { cwd: project.dir, env: { WERF_RUN_MOED: 'fuse' } });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(
      'WERF_RUN_MOED is not a werf-run variable (did you mean WERF_RUN_MODE?); it is ignored and not passed to werf',
    );
    const secret = shProject({ env: { set: { NPM_TOKEN: ['npm_SECRET123'] } } });
    const bad = await runWerfRun(['version'], { cwd: secret.dir });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('env.set.NPM_TOKEN is "<redacted>" (a list); expected a string');
    expect(bad.stderr).not.toContain('SECRET');
  });

  it('a volume name Docker refuses and a user the image lacks are config errors (exit 2, the key named), not engine errors', async () => {
    const badVolume = shProject({ volumes: { storage: 'bad/vol!name' } });
    const volume = await runWerfRun(['version'], { cwd: badVolume.dir });
    expect(volume.exitCode).toBe(2);
    expect(volume.stderr).toContain('volumes.storage is "bad/vol!name" (a string); allowed: a Docker volume name');
    expect(volume.stderr).not.toContain('connecting to the Docker Engine');

    const noUser = shProject({ user: 'nosuchuser' });
    const user = await runWerfRun(['-q', 'version'], { cwd: noUser.dir });
    expect(user.exitCode).toBe(2);
    expect(user.stderr).toBe(
      `werf-run: error: user is "nosuchuser": the werf image ${SH_IMAGE} has no user "nosuchuser" (not in its /etc/passwd)\n` +
        "  fix: set user to a user of the image's /etc/passwd, by name or uid (build, uid 1000; build1001, uid 1001, for GitHub Actions), or leave it unset\n",
    );
    const fromEnv = await runWerfRun(['-q', 'version'], { cwd: noUser.dir, env: { WERF_RUN_USER: 'nobody2' } });
    expect(fromEnv.exitCode).toBe(2);
    expect(fromEnv.stderr).toContain('werf-run: error: WERF_RUN_USER (user) is "nobody2"');
    expect(await managedContainers(noUser.dir)).toEqual([]);
  });

  it('a bad flag value names the flag, not the config key it feeds', async () => {
    const project = shProject();
    const image = await runWerfRun(['--image', 'bad ref!!', 'version'], { cwd: project.dir });
    expect(image.exitCode).toBe(2);
    expect(image.stderr).toContain('werf-run: error: --image "bad ref!!" is not a valid image reference');
    const host = await runWerfRun(['-q', '--host', 'tcp://127.0.0.1:1', 'version'], { cwd: project.dir });
    expect(host.exitCode).toBe(125);
    expect(host.stderr).toContain('no Docker Engine answered at the endpoint chosen by --host:');
    expect(host.stderr).not.toContain('engine.host');
  });
});

describe('config discovery end to end', () => {
  it('never reads a user-wide ~/.config/werfrun file (cosmiconfig would, after finding no project file)', async () => {
    const home = tempDir();
    mkdirSync(path.join(home, '.config', 'werfrun'), { recursive: true });
    writeFileSync(path.join(home, '.config', 'werfrun', 'config.json'), '{"mode": "privileged"}');
    const project = shProject();
    rmSync(path.join(project.dir, '.werfrunrc.json'));
    const result = await runWerfRun(['--dry-run', 'version'], {
      cwd: project.dir,
      env: { HOME: home, XDG_CONFIG_HOME: undefined, WERF_RUN_IMAGE: SH_IMAGE },
    });
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
    expect(fromEnv.stdout).toContain('# mode:    native (mode native forced by config or --mode: kept for the whole run');
    const fromFlag = await runWerfRun(['--dry-run', '--config', other, '--mode', 'privileged', '--allow-privileged', 'version'], {
      cwd: project.dir,
      env: { WERF_RUN_MODE: 'native' },
    });
    expect(fromFlag.stdout).toContain(' --privileged ');
  });
});

describe('--dry-run', () => {
  it('only reads from the engine: no container, image pull or volume is created', async () => {
    const project = shProject();
    const proxy = await recordingProxy();
    const result = await runWerfRun(['--dry-run', 'sh', 'echo should not run'], {
      cwd: project.dir,
      env: { WERF_RUN_DOCKER_HOST: proxy.url },
    });
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
    const result = await runWerfRun(['--dry-run', 'build'], {
      cwd: project.dir,
      env: { WERF_RUN_DOCKER_HOST: `unix://${tempDir()}/none.sock` },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('# engine:  unreachable');
    expect(result.stdout).toMatch(/# assumed: the engine did not answer \(no Docker Engine answered/);
    expect(result.stdout).toContain('# assumed: the host facts are unknown but for detect.* overrides');
    expect(result.stdout).toContain('(unknown: engine unreachable)');
    expect(result.stdout).toMatch(/docker run --rm .* werf build\n$/);
  });
});

describe('doctor --json, against its documentation', () => {
  /** The `## doctor` section's table in docs/modes-and-detection.md: key -> its row. */
  function documentedKeys(): Map<string, string> {
    const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'modes-and-detection.md'), 'utf8');
    const section = doc.slice(doc.indexOf('\n## doctor'));
    const rows = new Map<string, string>();
    for (const match of section.matchAll(/^\| `(\w+)` \|(.*)$/gm)) rows.set(match[1]!, match[2]!);
    return rows;
  }
  const keysOf = (value: unknown): string[] => (value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : []);

  it("every key a real report has (with and without an engine) is documented, nested ones in their key's row", async () => {
    const project = makeProject({ 'README.md': 'x\n' });
    cleanups.push(() => project.cleanup());
    const withEngine = await runWerfRun(['doctor', '--json'], { cwd: project.dir });
    expect(withEngine.exitCode, withEngine.stderr).toBe(0);
    const noEngine = await runWerfRun(['doctor', '--json'], { cwd: project.dir, env: { DOCKER_HOST: 'tcp://127.0.0.1:1' } });
    expect(noEngine.exitCode).toBe(1);
    const documented = documentedKeys();
    const missing: string[] = [];
    for (const report of [JSON.parse(withEngine.stdout), JSON.parse(noEngine.stdout)] as Record<string, unknown>[]) {
      for (const [key, value] of Object.entries(report)) {
        const row = documented.get(key);
        if (row === undefined) {
          missing.push(key);
          continue;
        }
        // Nested keys: of objects, of the first array item, and of each fact's entry.
        const nested =
          key === 'facts'
            ? keysOf(Object.values(value as object)[0])
            : Array.isArray(value)
              ? keysOf(value[0])
              : key === 'ruledOut'
                ? []
                : keysOf(value);
        // Named in a code span of the row: `key`, or inside one such as `{ value, source, detail }`.
        const spans = [...row.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
        for (const inner of nested) if (!spans.some((span) => new RegExp(`\\b${inner}\\b`).test(span))) missing.push(`${key}.${inner}`);
      }
    }
    expect([...new Set(missing)]).toEqual([]);
    expect(await managedContainers(project.dir)).toEqual([]);
  });
});
