/**
 * The docker CLI as the oracle for engine choice: two real engines (the rig's
 * on /var/run/docker.sock, and a second dockerd of this test's own on a unix
 * socket in a temp dir and on tcp://127.0.0.1:<free port>), a throwaway
 * DOCKER_CONFIG with contexts made by the real `docker context create`, and
 * for each combination of --host, --context, DOCKER_HOST, DOCKER_CONTEXT, the
 * config's currentContext and the TLS variables, `docker info --format
 * {{.DockerRootDir}}` and werf-run under the same environment and flags must
 * reach the same daemon, or both refuse. Daemons on one host share their ID
 * (Docker derives it from /etc/docker/key.json), so the root dir tells them
 * apart; werf-run's comes from the daemon's own /info (its --verbose
 * "engine: ..., root <dir>" line), not from what werf-run thinks it chose.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeTlsFiles, startSecondDockerd, type SecondDockerd } from './engines.js';
import { cleanEnv, runWerfRun, werfProject } from './support.js';

const MAIN = 'unix:///var/run/docker.sock';

interface Combo {
  flag?: ['--host' | '--context', string];
  DOCKER_HOST?: string;
  DOCKER_CONTEXT?: string;
  currentContext?: string;
  tls?: Record<string, string>;
}

describe('werf-run reaches the engine the docker CLI reaches, for every way of choosing one', () => {
  let second: SecondDockerd;
  let project: ReturnType<typeof werfProject>;
  let configDir: string;
  let deadPort: number;
  const roots: Record<string, string> = {};

  beforeAll(async () => {
    second = await startSecondDockerd();
    project = werfProject({ app: 'FROM 127.0.0.1:5000/library/busybox:latest\n' });
    configDir = mkdtempSync(path.join(os.tmpdir(), 'wr-oracle-'));
    deadPort = await freePort();
    const docker = (args: string[]) =>
      execa('docker', args, { env: { DOCKER_CONFIG: configDir, DOCKER_HOST: undefined, DOCKER_CONTEXT: undefined } });
    await docker(['context', 'create', 'ctx-main', '--docker', `host=${MAIN}`]);
    await docker(['context', 'create', 'ctx-second', '--docker', `host=${second.socketUrl}`]);
    await docker(['context', 'create', 'ctx-second-tcp', '--docker', `host=${second.tcpUrl}`]);
    for (const [name, host] of [
      ['main', MAIN],
      ['second', second.socketUrl],
    ] as const) {
      roots[name] = (
        await execa('docker', ['-H', host, 'info', '--format', '{{.DockerRootDir}}'], { env: { DOCKER_CONFIG: configDir } })
      ).stdout.trim();
    }
  }, 120_000);
  afterAll(async () => {
    if (configDir) rmSync(configDir, { recursive: true, force: true });
    const results = await Promise.allSettled([second?.stop(), project?.cleanup()]);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  });

  /** Writes config.json with (or without) a currentContext, keeping what docker context create wrote. */
  function setCurrentContext(name: string | undefined): void {
    const file = path.join(configDir, 'config.json');
    let config: Record<string, unknown> = {};
    try {
      config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      // none yet
    }
    if (name) config.currentContext = name;
    else delete config.currentContext;
    writeFileSync(file, JSON.stringify(config));
  }

  const envOf = (c: Combo): Record<string, string | undefined> => ({
    DOCKER_CONFIG: configDir,
    DOCKER_HOST: c.DOCKER_HOST,
    DOCKER_CONTEXT: c.DOCKER_CONTEXT,
    DOCKER_TLS_VERIFY: undefined,
    DOCKER_TLS: undefined,
    DOCKER_CERT_PATH: undefined,
    ...c.tls,
  });

  async function dockerSays(c: Combo): Promise<string | undefined> {
    const result = await execa('docker', [...(c.flag ?? []), 'info', '--format', '{{.DockerRootDir}}'], {
      env: cleanEnv(envOf(c)),
      extendEnv: false,
      reject: false,
    });
    return result.exitCode === 0 ? String(result.stdout).trim() : undefined;
  }

  async function werfRunSays(c: Combo): Promise<{ root: string | undefined; exitCode: number | undefined; stderr: string }> {
    const result = await runWerfRun([...(c.flag ?? []), '--verbose', '--dry-run', 'version'], {
      cwd: project.dir,
      env: envOf(c),
      timeoutMs: 60_000,
    });
    // --dry-run goes on without an engine (exit 0, "no Docker Engine answered"): no root line then.
    const root = /engine: \S+ [^\n]*, root (\S+)/.exec(result.stderr)?.[1];
    return { root, exitCode: result.exitCode, stderr: result.stderr };
  }

  async function compare(c: Combo): Promise<string> {
    setCurrentContext(c.currentContext);
    const [docker, werfRun] = [await dockerSays(c), await werfRunSays(c)];
    const label = JSON.stringify(c);
    if (docker === undefined) {
      expect(werfRun.root, `${label}: docker refused or failed, so must werf-run\n${werfRun.stderr}`).toBeUndefined();
      expect(
        werfRun.exitCode === 2 || werfRun.stderr.includes('no Docker Engine answered'),
        `${label}: werf-run says why\n${werfRun.stderr}`,
      ).toBe(true);
      return 'both fail';
    }
    expect(werfRun.exitCode, `${label}\n${werfRun.stderr}`).toBe(0);
    expect(werfRun.root, `${label}: docker reached ${docker}\n${werfRun.stderr}`).toBe(docker);
    return docker;
  }

  it('the two engines are told apart by their root dirs', () => {
    expect(roots.main).toBeTruthy();
    expect(roots.second).toBeTruthy();
    expect(roots.main).not.toBe(roots.second);
  });

  // Every precedence combination: a flag (or none), DOCKER_HOST, DOCKER_CONTEXT, currentContext.
  const flags: (Combo['flag'] | undefined)[] = [
    undefined,
    ['--host', 'HOST_MAIN'],
    ['--host', 'HOST_SECOND_TCP'],
    ['--context', 'ctx-second'],
    ['--context', 'ctx-main'],
  ];
  // DOCKER_HOST over tcp: what docker-modem's own defaults once put above a unix socket werf-run chose.
  const hosts = [undefined, 'HOST_SECOND_TCP', 'HOST_MAIN'];
  const contexts = [undefined, 'ctx-main', 'ctx-second-tcp'];
  const currents = [undefined, 'ctx-second'];

  it('--host, --context, DOCKER_HOST, DOCKER_CONTEXT and currentContext in every combination (90 runs)', async () => {
    const resolve = (v: string | undefined) =>
      v === 'HOST_MAIN' ? MAIN : v === 'HOST_SECOND' ? second.socketUrl : v === 'HOST_SECOND_TCP' ? second.tcpUrl : v;
    const seen = new Map<string, number>();
    for (const flag of flags) {
      for (const host of hosts) {
        for (const context of contexts) {
          for (const current of currents) {
            const combo: Combo = {
              ...(flag ? { flag: [flag[0], resolve(flag[1])!] as Combo['flag'] } : {}),
              ...(host ? { DOCKER_HOST: resolve(host) } : {}),
              ...(context ? { DOCKER_CONTEXT: context } : {}),
              ...(current ? { currentContext: current } : {}),
            };
            const where = await compare(combo);
            seen.set(where, (seen.get(where) ?? 0) + 1);
          }
        }
      }
    }
    // The table really exercised both engines (not 90 runs that all went to one place).
    expect(seen.get(roots.main!)).toBeGreaterThan(10);
    expect(seen.get(roots.second!)).toBeGreaterThan(10);
  }, 600_000);

  it('the TLS variables: DOCKER_CERT_PATH alone means nothing; TLS on reads ca.pem even for a socket; TLS against a plain engine fails in both', async () => {
    const certs = mkdtempSync(path.join(os.tmpdir(), 'wr-oracle-certs-'));
    try {
      const combos: Combo[] = [
        { DOCKER_HOST: second.tcpUrl, tls: { DOCKER_CERT_PATH: path.join(certs, 'missing') } },
        { flag: ['--host', second.socketUrl], tls: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: path.join(certs, 'missing') } },
        { DOCKER_HOST: second.tcpUrl, tls: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs } },
        { DOCKER_CONTEXT: 'ctx-second-tcp', tls: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: path.join(certs, 'missing') } },
        { tls: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs } },
        { DOCKER_HOST: ' ' },
        { DOCKER_HOST: `tcp://127.0.0.1:${deadPort}` },
        { flag: ['--host', MAIN], DOCKER_HOST: `tcp://127.0.0.1:${deadPort}` },
        { flag: ['--context', 'ctx-second'], DOCKER_HOST: `tcp://127.0.0.1:${deadPort}`, tls: { DOCKER_TLS_VERIFY: '1' } },
        { flag: ['--host', MAIN], DOCKER_CONTEXT: 'ctx-second' },
        // docker-modem's own ssh (not in werf-run's bundle) once took over from a DOCKER_HOST=ssh:// left in the environment.
        { flag: ['--context', 'ctx-second'], DOCKER_HOST: `ssh://nobody@127.0.0.1:${deadPort}` },
      ];
      // A CA-only directory (server-only TLS) is read as docker reads it; the plain engine then fails the handshake in both.
      const tls = await makeTlsFiles(mkdtempSync(path.join(certs, 'ca-')));
      writeFileSync(path.join(certs, 'ca.pem'), readFileSync(tls.caFile));
      const outcomes: string[] = [];
      for (const combo of combos) outcomes.push(await compare(combo));
      expect(outcomes).toEqual([
        roots.second,
        'both fail',
        'both fail',
        roots.second,
        'both fail',
        roots.main,
        'both fail',
        roots.main,
        roots.second,
        roots.main,
        roots.second,
      ]);
    } finally {
      rmSync(certs, { recursive: true, force: true });
    }
  }, 300_000);

  it('--host together with --context is refused by both', async () => {
    expect(await compare({ flag: ['--host', MAIN], DOCKER_CONTEXT: 'ctx-second' })).toBe(roots.main);
    const docker = await execa('docker', ['--host', MAIN, '--context', 'ctx-second', 'info'], {
      env: cleanEnv({ DOCKER_CONFIG: configDir }),
      extendEnv: false,
      reject: false,
    });
    expect(docker.exitCode).not.toBe(0);
    const werfRun = await runWerfRun(['--host', MAIN, '--context', 'ctx-second', '--dry-run', 'version'], {
      cwd: project.dir,
      env: { DOCKER_CONFIG: configDir },
    });
    expect(werfRun.exitCode).toBe(2);
    expect(werfRun.stderr).toContain('both set');
  });
});
