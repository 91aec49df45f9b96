/**
 * Registry credentials, resolved on the host and handed to werf as plain
 * auths, against the rig's htpasswd registry (127.0.0.1:5001) with a real
 * credential helper: docker-credential-rigtest, a script on the host PATH
 * answering `get` and `list` from a file. werf (the stand-in) pushes with
 * buildah and reads credentials as werf's keychain does.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NAMED_USER_SCRIPT,
  buildNamedUserImage,
  makeProject,
  managedContainers,
  rig,
  runWerfRun,
  werfProject,
  type CliResult,
} from './support.js';

const REGISTRY = rig.WERF_RUN_RIG_AUTH_REGISTRY!;
const USER = rig.WERF_RUN_RIG_AUTH_USER!;
const PASSWORD = rig.WERF_RUN_RIG_AUTH_PASSWORD!;
const b64 = (s: string) => Buffer.from(s).toString('base64');

let dir: string;
let bin: string;
let home: string;
let project: ReturnType<typeof werfProject>;
const repo = `${REGISTRY}/werf-run-it/cred-${process.pid}`;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wr-cred-'));
  bin = path.join(dir, 'bin');
  home = path.join(dir, 'home');
  mkdirSync(bin);
  mkdirSync(home);
  // The helper's store: one line per registry, "server user secret".
  writeFileSync(path.join(dir, 'store'), `${REGISTRY} ${USER} ${PASSWORD}\n`, { mode: 0o600 });
  helper(
    'rigtest',
    `store=${path.join(dir, 'store')}
case "$1" in
  list) printf '{'; sep=''; while read -r s u p; do printf '%s"%s":"%s"' "$sep" "$s" "$u"; sep=,; done < "$store"; echo '}' ;;
  get) read -r want; while read -r s u p; do
      if [ "$s" = "$want" ]; then printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\\n' "$s" "$u" "$p"; exit 0; fi
    done < "$store"; echo "credentials not found in native keychain"; exit 1 ;;
  *) echo "unknown action $1" >&2; exit 1 ;;
esac`,
  );
  helper('rigbroken', 'echo "error: the keychain is locked" >&2; exit 1');
  project = werfProject({ app: `FROM ${rig.WERF_RUN_RIG_BUSYBOX}\n` });
});
afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await project?.cleanup();
});

function helper(name: string, script: string): void {
  const file = path.join(bin, `docker-credential-${name}`);
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
}

function dockerConfig(name: string, config: unknown): string {
  const configDir = path.join(dir, name);
  mkdirSync(configDir, { recursive: true });
  writeFileSync(path.join(configDir, 'config.json'), JSON.stringify(config));
  return configDir;
}

const run = (args: string[], env: Record<string, string | undefined>, cwd = project.dir): Promise<CliResult> =>
  runWerfRun(args, {
    cwd,
    env: {
      HOME: home,
      DOCKER_AUTH_CONFIG: undefined,
      GITLAB_CI: undefined,
      GITHUB_ACTIONS: undefined,
      PATH: `${bin}:${process.env.PATH}`,
      ...env,
    },
  });

/** Every file under `root` holding the password, in clear or in base64. */
function filesWithSecret(root: string): string[] {
  const found: string[] = [];
  // Other processes create and remove files in /tmp meanwhile: an entry gone between listing and reading held no secret of ours.
  const gone = (error: unknown): boolean => ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch (error) {
      if (gone(error)) return;
      throw error;
    }
    for (const name of names) {
      const p = path.join(d, name);
      const s = statSync(p, { throwIfNoEntry: false });
      if (!s) continue;
      if (s.isDirectory()) walk(p);
      else if (s.isFile() && p !== path.join(dir, 'store')) {
        let text: string;
        try {
          text = readFileSync(p, 'latin1');
        } catch (error) {
          if (gone(error)) continue;
          throw error;
        }
        if (text.includes(PASSWORD) || text.includes(b64(`${USER}:${PASSWORD}`))) found.push(p);
      }
    }
  };
  walk(root);
  return found;
}

function expectNoSecret(result: CliResult): void {
  const all = result.stdout + result.stderr;
  expect(all).not.toContain(PASSWORD);
  expect(all).not.toContain(b64(`${USER}:${PASSWORD}`));
}

describe('registry credentials from a credential helper on the host', () => {
  it.each([
    ['credsStore', { credsStore: 'rigtest' }],
    ['credHelpers', { credHelpers: { [REGISTRY]: 'rigtest' } }],
  ])('%s: werf-run build --repo pushes to the auth registry; the password shows nowhere', async (name, config) => {
    const configDir = dockerConfig(name, config);
    const tmpBefore = new Set(readdirSync(os.tmpdir()));
    const result = await run(['--verbose', 'build', '--repo', repo], { DOCKER_CONFIG: configDir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`│ Pushed ${repo}:app`);
    expect(result.stderr).toContain(`registry auth for ${REGISTRY} (--repo ${repo}): from docker-credential-rigtest (`);
    expect(result.stderr).toContain('handed to werf as /home/build/.docker/config.json (plain auths, mode 0600)');
    expectNoSecret(result);
    // Nothing on the host's disk: not in the project, not in HOME, not in new files under the temp dir.
    const fresh = readdirSync(os.tmpdir())
      .filter((n) => !tmpBefore.has(n))
      .map((n) => path.join(os.tmpdir(), n));
    expect([project.dir, home, ...fresh].flatMap(filesWithSecret)).toEqual([]);
    expect(await managedContainers(project.dir)).toEqual([]);
  });

  it("werf's --docker-config DIR is where its credentials come from (its helper runs here), not $DOCKER_CONFIG's", async () => {
    const named = dockerConfig('flag', { credHelpers: { [REGISTRY]: 'rigtest' } });
    const result = await run(['--verbose', 'build', '--repo', repo, '--docker-config', named], {
      DOCKER_CONFIG: dockerConfig('empty', {}),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`│ Pushed ${repo}:app`);
    expect(result.stderr).toContain(`registry auth for ${REGISTRY} (--repo ${repo}): from docker-credential-rigtest (`);
    expect(result.stderr).toContain(`--docker-config ${named} not passed: werf-run reads the registry credentials of ${named}/config.json`);
    expectNoSecret(result);
  });

  it('--dry-run and doctor --json show the generated file only as path, size and "secret"', async () => {
    const configDir = dockerConfig('dry', { credsStore: 'rigtest' });
    const dry = await run(['--dry-run', 'build', '--repo', repo], { DOCKER_CONFIG: configDir });
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(
      /# file copied in before start: \/home\/build\/\.docker\/config\.json \(\d+ bytes, mode 0600, uid 1000, secret\)/,
    );
    expectNoSecret(dry);
    const doctor = await run(['doctor', '--json'], { DOCKER_CONFIG: configDir });
    expectNoSecret(doctor);
  });

  it('a helper that fails is named with its error and the registry (exit 125), and nothing starts', async () => {
    const configDir = dockerConfig('broken', { credHelpers: { [REGISTRY]: 'rigbroken' } });
    const result = await run(['build', '--repo', repo], { DOCKER_CONFIG: configDir });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(
      `the credential helper docker-credential-rigbroken (named by credHelpers["${REGISTRY}"] in ${configDir}/config.json) exited with 1 for ${REGISTRY}: error: the keychain is locked`,
    );
    expectNoSecret(result);
    expect(await managedContainers(project.dir)).toEqual([]);
  });

  it("a credsStore naming a helper absent from the image fails werf's push for real (why werf-run resolves it on the host)", async () => {
    // The user's config.json handed in as it is (a bind mount of the user's own, no generated auths): what werf-run did before.
    const configDir = dockerConfig('desktop', { credsStore: 'desktop', auths: { [REGISTRY]: {} } });
    const asIs = werfProject(
      { app: `FROM ${rig.WERF_RUN_RIG_BUSYBOX}\n` },
      {
        forward: { dockerConfig: false },
        mounts: [{ source: configDir, target: '/tmp/user-docker', readOnly: true }],
        env: { set: { WERF_DOCKER_CONFIG: '/tmp/user-docker' } },
      },
    );
    try {
      const result = await runWerfRun(['-q', 'build', '--repo', repo], { cwd: asIs.dir, env: { HOME: home } });
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(
        `unable to get credentials for ${REGISTRY}: error getting credentials - err: exec: "docker-credential-desktop": executable file not found in $PATH`,
      );
    } finally {
      await asIs.cleanup();
    }
  });
});

describe('an image user werf-run knows only by name (user: ci)', () => {
  // Named under the auth registry, so its credentials are the ones werf-run hands in; never pushed.
  const image = `${REGISTRY}/werf-run-it/sh-ci:${process.pid}`;
  beforeAll(() => buildNamedUserImage(image), 60_000);
  afterAll(async () => {
    await execa('docker', ['rmi', image], { reject: false });
  });

  it("gets the handed-in credentials owned by its ids from the image's /etc/passwd (before: root's, unreadable)", async () => {
    const configDir = dockerConfig('named-user', { credsStore: 'rigtest' });
    const named = makeProject({ 'README.md': 'x\n' }, { image: { reference: image, pull: 'never' }, user: 'ci' });
    try {
      const result = await run(['-q', 'sh', NAMED_USER_SCRIPT], { DOCKER_CONFIG: configDir }, named.dir);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toBe('1500\n1500:1600 600\n1\n');
      expectNoSecret(result);
      // A name the image lacks, with a file to hand in: the same config error as when runc finds no such user at start.
      const lacking = await run(['-q', 'sh', NAMED_USER_SCRIPT], { DOCKER_CONFIG: configDir, WERF_RUN_USER: 'alice' }, named.dir);
      expect(lacking.exitCode).toBe(2);
      expect(lacking.stderr).toContain(
        `werf-run: error: WERF_RUN_USER (user) is "alice": the werf image ${image} has no user "alice" (not in its /etc/passwd)`,
      );
      expect(await managedContainers(named.dir)).toEqual([]);
    } finally {
      await named.cleanup();
    }
  });
});
