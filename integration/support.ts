/**
 * Shared helpers for the integration tests: the rig's facts, running the real
 * werf-run binary as a child process, throwaway git projects, and looking at
 * what is left on the engine. Everything here talks to the real engine.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options, type Result } from 'execa';
import { afterAll } from 'vitest';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(REPO_ROOT, 'bin', 'werf-run.cjs');

/** Values from the rig's rig.env (written by `npm run rig`). */
function rigEnv(): Record<string, string> {
  const dir = process.env.WERF_RUN_RIG_DIR ?? '/var/lib/werf-run-rig';
  const file = path.join(dir, 'rig.env');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`the test rig is not up: ${file} is missing. Run: npm run rig`);
  }
  const values: Record<string, string> = {};
  for (const match of text.matchAll(/^export ([A-Z0-9_]+)='([^']*)'$/gm)) values[match[1]!] = match[2]!;
  return values;
}

export const rig = rigEnv();

/** The werf image the tests run: the rig's stand-in unless WERF_RUN_TEST_IMAGE names a real one. */
export const TEST_IMAGE = process.env.WERF_RUN_TEST_IMAGE ?? rig.WERF_RUN_RIG_IMAGE!;

/**
 * werf-run's cache (detected facts, remembered modes) for this test process, so
 * tests never read or write the user's ~/.cache/werf-run; removed after the file's tests.
 * Tests that check the cache pass their own XDG_CACHE_HOME.
 */
const TEST_CACHE_HOME = mkdtempSync(path.join(os.tmpdir(), 'werf-run-it-cache-'));
// Registered on the importing test file's root suite (vitest workers do not run 'exit' handlers).
afterAll(() => rmSync(TEST_CACHE_HOME, { recursive: true, force: true }));

/**
 * The user's own werf-run config for this test process (XDG_CONFIG_HOME), as
 * a user of the rig would write it: the projects the tests make (under the
 * temp dir) are trusted, so their configs may grant the rig's image and the
 * host network (config/trust.ts); and a state dir, so `werf-run trust` never
 * writes the user's. Tests of the consent itself pass their own.
 */
const TEST_CONFIG_HOME = mkdtempSync(path.join(os.tmpdir(), 'werf-run-it-config-'));
mkdirSync(path.join(TEST_CONFIG_HOME, 'werf-run'));
writeFileSync(path.join(TEST_CONFIG_HOME, 'werf-run', 'config.json'), JSON.stringify({ trustProjectConfig: [os.tmpdir()] }));
const TEST_STATE_HOME = mkdtempSync(path.join(os.tmpdir(), 'werf-run-it-state-'));
afterAll(() => {
  rmSync(TEST_CONFIG_HOME, { recursive: true, force: true });
  rmSync(TEST_STATE_HOME, { recursive: true, force: true });
});

/** The host env for child werf-run processes: the test's own, minus anything werf-run reads from the user. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('WERF_RUN_') && !key.startsWith('WERF_RUN_RIG_') && key !== 'WERF_RUN_TEST_IMAGE') continue;
    if (key === 'VITEST' || key.startsWith('VITEST_')) continue;
    env[key] = value;
  }
  return { ...env, XDG_CACHE_HOME: TEST_CACHE_HOME, XDG_CONFIG_HOME: TEST_CONFIG_HOME, XDG_STATE_HOME: TEST_STATE_HOME, ...extra };
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
}

export interface CliResult {
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
  signal: string | undefined;
}

/** Runs the built werf-run CLI as a real process. */
export async function runWerfRun(args: readonly string[], options: RunOptions): Promise<CliResult> {
  const execaOptions: Options = {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
    timeout: options.timeoutMs ?? 240_000,
    input: options.input ?? '',
    encoding: 'utf8',
  };
  const result = (await execa('node', [BIN, ...args], execaOptions)) as Result;
  return {
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    exitCode: result.exitCode,
    signal: result.signal,
  };
}

/** Who owns the throwaway projects (werf-run runs werf as the checkout's owner: plan/checkout-owner.ts). */
const PROJECT_OWNER = 1000;

/** A throwaway git repository with the given files, and unique cache volumes in its config. */
export function makeProject(
  files: Record<string, string>,
  config: Record<string, unknown> = {},
): { dir: string; volumes: string[]; cleanup(): Promise<void> } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-it-'));
  // mkdtemp makes 0700 dirs; a real checkout is world-readable, and werf runs as uid 1000.
  chmodSync(dir, 0o755);
  const id = path
    .basename(dir)
    .replace(/[^a-zA-Z0-9]/g, '')
    .toLowerCase();
  const volumes = [`werf-run-it-${id}-storage`, `werf-run-it-${id}-home`];
  const fullConfig = {
    image: { reference: TEST_IMAGE },
    network: 'host',
    volumes: { storage: volumes[0], werfHome: volumes[1] },
    ...config,
  };
  for (const [name, content] of Object.entries({ '.werfrunrc.json': JSON.stringify(fullConfig, null, 2), ...files })) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  execaSync('git', ['init', '-q'], dir);
  execaSync('git', ['add', '-A'], dir);
  execaSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init'], dir);
  // Owned by uid 1000, like a laptop user's checkout: werf writes into it (git worktree add, reports) and runs as its owner.
  execaSync('chown', ['-R', `${PROJECT_OWNER}:${PROJECT_OWNER}`, dir], dir);
  return {
    dir,
    volumes,
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
      await removeVolumes(volumes);
    },
  };
}

/** Removes the named volumes and their per-uid twins (`<name>-uid<N>`: werf run as a checkout owner other than 1000). */
export async function removeVolumes(names: readonly string[]): Promise<void> {
  const all = (await execa('docker', ['volume', 'ls', '-q'], { reject: false })).stdout.split('\n');
  const twins = all.filter((v) => names.some((n) => v.startsWith(`${n}-uid`) && /^\d+$/.test(v.slice(n.length + 4))));
  await execa('docker', ['volume', 'rm', '-f', ...names, ...twins], { reject: false });
}

function execaSync(file: string, args: string[], cwd: string): void {
  const { status, stderr } = spawnSync(file, args, { cwd, encoding: 'utf8' });
  if (status !== 0) throw new Error(`${file} ${args.join(' ')} failed: ${stderr}`);
}

/** A werf.yaml + Dockerfiles project: images maps name -> Dockerfile text. */
export function werfProject(images: Record<string, string>, config: Record<string, unknown> = {}) {
  const files: Record<string, string> = {
    'werf.yaml':
      [
        'project: it',
        'configVersion: 1',
        ...Object.keys(images).flatMap((name) => ['---', `image: ${name}`, `dockerfile: ${name}.Dockerfile`]),
      ].join('\n') + '\n',
  };
  for (const [name, dockerfile] of Object.entries(images)) files[`${name}.Dockerfile`] = dockerfile;
  return makeProject(files, config);
}

/**
 * Containers werf-run created that are still on the engine; with a project
 * dir, only that project's (other test runs may share the engine).
 */
export async function managedContainers(projectDir?: string): Promise<string[]> {
  const filters = ['--filter', 'label=werf-run.managed=true'];
  if (projectDir) filters.push('--filter', `label=werf-run.project=${projectDir}`);
  const { stdout } = await execa('docker', ['ps', '-a', '-q', ...filters]);
  return stdout.split('\n').filter(Boolean);
}

/**
 * The werf-sh test double with one more user, `ci` (uid 1500, group cigroup 1600), which
 * werf-run knows only by name; built on the rig's engine as `tag`. NAMED_USER_SCRIPT, run
 * as `werf-run sh`, prints its uid, then the owner and mode of the handed-in docker config.
 */
export async function buildNamedUserImage(tag: string): Promise<void> {
  const dockerfile = [
    `FROM ${rig.WERF_RUN_RIG_SH_IMAGE}`,
    'USER root',
    'RUN echo "ci:x:1500:1600::/home/ci:/bin/sh" >> /etc/passwd && echo "cigroup:x:1600:" >> /etc/group && mkdir -p /home/ci && chown 1500:1600 /home/ci',
    'USER ci',
  ].join('\n');
  await execa('docker', ['build', '--network', 'none', '-q', '-t', tag, '-'], { input: dockerfile, env: { DOCKER_BUILDKIT: '0' } });
}
export const NAMED_USER_SCRIPT = 'id -u; stat -c "%u:%g %a" ~/.docker/config.json; grep -c auths ~/.docker/config.json';

/** One line per container the engine created for a project between two engine times (its event log), in the given --format. */
export async function containerCreates(
  projectDir: string,
  since: string,
  until: string,
  format: string,
  options: { host?: string; filters?: string[] } = {},
): Promise<string[]> {
  const { stdout } = await execa('docker', [
    ...(options.host ? ['-H', options.host] : []),
    'events',
    '--since',
    since,
    '--until',
    until,
    '--filter',
    'type=container',
    '--filter',
    'event=create',
    '--filter',
    `label=werf-run.project=${projectDir}`,
    ...(options.filters ?? []).flatMap((f) => ['--filter', f]),
    '--format',
    format,
  ]);
  return stdout.split('\n').filter(Boolean);
}
