import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { envLayer, FLAG_SOURCES, flagSources, flagsLayer, misspelledEnvVars, nearest } from './layers.js';
import { keyName } from './describe.js';
import { searchDirs } from './find.js';
import { loadConfig, settingSource, type ConfigLayer } from './load.js';

const roots: string[] = [];
afterAll(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

/** A fresh "git root" with files; returns its path. */
function project(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'werf-run-config-'));
  roots.push(root);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), content);
  }
  return root;
}

async function channelFrom(files: Record<string, string>, sub = '.'): Promise<{ channel: string; file: string | undefined }> {
  const root = project(files);
  const { config, filepath } = await loadConfig({ cwd: path.join(root, sub), stopDir: root });
  return { channel: config.image.channel, file: filepath && path.relative(root, filepath) };
}

async function failure(promise: Promise<unknown>): Promise<{ message: string; exitCode: number; remedy?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { message: string; exitCode: number; remedy?: string };
  }
  throw new Error('expected a failure');
}

const env = (vars: Record<string, string>): ConfigLayer => {
  const layer = envLayer(vars);
  return { name: 'the environment', values: layer.values, sources: layer.sources };
};

describe('config discovery', () => {
  const forms: [string, string][] = [
    ['.werfrunrc', '{"image": {"channel": "ea"}}'],
    ['.werfrunrc', 'image:\n  channel: ea\n'],
    ['.werfrunrc.json', '{"image": {"channel": "ea"}}'],
    ['.werfrunrc.yaml', 'image:\n  channel: ea\n'],
    ['.werfrunrc.yml', 'image: {channel: ea}\n'],
    ['.werfrunrc.js', 'module.exports = { image: { channel: "ea" } };\n'],
    ['.werfrunrc.cjs', 'module.exports = { image: { channel: "ea" } };\n'],
    ['.werfrunrc.mjs', 'export default { image: { channel: "ea" } };\n'],
    ['.werfrunrc.ts', 'const channel: string = "ea";\nexport default { image: { channel } };\n'],
    ['werfrun.config.js', 'module.exports = { image: { channel: "ea" } };\n'],
    ['werfrun.config.cjs', 'module.exports = { image: { channel: "ea" } };\n'],
    ['werfrun.config.mjs', 'export default { image: { channel: "ea" } };\n'],
    ['werfrun.config.ts', 'interface C { image: { channel: string } }\nconst c: C = { image: { channel: "ea" } };\nexport default c;\n'],
    ['package.json', '{"name": "app", "werfrun": {"image": {"channel": "ea"}}}'],
  ];
  for (const [name, content] of forms) {
    it(`reads ${name}${name === '.werfrunrc' ? (content.startsWith('{') ? ' (JSON)' : ' (YAML)') : ''}`, async () => {
      expect(await channelFrom({ [name]: content })).toEqual({ channel: 'ea', file: name });
    });
  }

  it('uses defaults when there is no file, and ignores a package.json without a werfrun key', async () => {
    expect(await channelFrom({ 'package.json': '{"name": "app"}' })).toEqual({ channel: 'stable', file: undefined });
  });

  it('searches from the working directory up to the git root, nearest first', async () => {
    const files = { '.werfrunrc.json': '{"image": {"channel": "beta"}}', 'a/b/.werfrunrc.yaml': 'image: {channel: alpha}\n' };
    expect(await channelFrom(files, 'a/b/c')).toEqual({ channel: 'alpha', file: path.join('a', 'b', '.werfrunrc.yaml') });
    expect(await channelFrom(files, 'a')).toEqual({ channel: 'beta', file: '.werfrunrc.json' });
  });

  it('never looks above the git root', async () => {
    const outer = project({ '.werfrunrc.json': '{"image": {"channel": "beta"}}' });
    mkdirSync(path.join(outer, 'repo', 'sub'), { recursive: true });
    const { filepath } = await loadConfig({ cwd: path.join(outer, 'repo', 'sub'), stopDir: path.join(outer, 'repo') });
    expect(filepath).toBeUndefined();
    expect(searchDirs('/r/a/b', '/r')).toEqual(['/r/a/b', '/r/a', '/r']);
    expect(searchDirs('/elsewhere', '/r')).toEqual(['/elsewhere']);
    expect(searchDirs('/r/..dots/x', '/r')).toEqual(['/r/..dots/x', '/r/..dots', '/r']);
  });

  it('reads an explicit --config path relative to the working directory, whatever its name', async () => {
    const root = project({ '.werfrunrc.json': '{"image": {"channel": "beta"}}', 'ci/werf-run.yaml': 'image: {channel: ea}\n' });
    const { config, filepath } = await loadConfig({ cwd: root, stopDir: root, explicitPath: 'ci/werf-run.yaml' });
    expect(config.image.channel).toBe('ea');
    expect(filepath).toBe(path.join(root, 'ci', 'werf-run.yaml'));
  });
});

describe('precedence: defaults < file < WERF_RUN_* < flags', () => {
  const root = project({
    '.werfrunrc.json': '{"mode": "fuse", "network": "host", "maxAttempts": 2, "image": {"channel": "ea", "pull": "never"}}',
  });
  const load = (overlays: ConfigLayer[]) => loadConfig({ cwd: root, stopDir: root, overlays });

  it('the file overrides defaults, keeping defaults for what it does not set', async () => {
    const { config } = await load([]);
    expect(config).toMatchObject({ mode: 'fuse', maxAttempts: 2, image: { channel: 'ea', pull: 'never', distro: 'alpine' } });
  });

  it('WERF_RUN_* overrides the file; flags override both', async () => {
    const environment = env({
      WERF_RUN_MODE: 'native',
      WERF_RUN_IMAGE_PULL: 'always',
      WERF_RUN_MAX_ATTEMPTS: '4',
      WERF_RUN_NETWORK: 'none',
    });
    const flags: ConfigLayer = { name: 'flags', values: flagsLayer({ mode: 'privileged', network: 'host' }), sources: FLAG_SOURCES };
    expect((await load([environment])).config).toMatchObject({
      mode: 'native',
      maxAttempts: 4,
      network: 'none',
      image: { pull: 'always', channel: 'ea' },
    });
    expect((await load([environment, flags])).config).toMatchObject({
      mode: 'privileged',
      maxAttempts: 4,
      network: 'host',
      image: { pull: 'always' },
    });
  });

  it('remembers which flag or variable set each key (only the keys they set), for later messages', async () => {
    const environment = env({ WERF_RUN_MODE: 'native', WERF_RUN_DOCKER_HOST: 'tcp://e:1' });
    const flags: ConfigLayer = { name: 'flags', values: flagsLayer({ mode: 'fuse', image: 'a/b:1' }), sources: FLAG_SOURCES };
    const { origins } = await load([environment, flags]);
    expect(origins).toEqual({ mode: '--mode', 'engine.host': 'WERF_RUN_DOCKER_HOST', 'image.reference': '--image' });
    const name = keyName(origins);
    expect([name('image.reference'), name('engine.host'), name('network')]).toEqual([
      '--image',
      'WERF_RUN_DOCKER_HOST (engine.host)',
      'network',
    ]);
    const bad = await failure(
      load([{ name: 'command-line flags', values: flagsLayer({ detect: ['fuseDevice=bogus'] }), sources: FLAG_SOURCES }]),
    );
    expect(bad.message).toContain(
      'invalid werf-run config in command-line flags: --detect fuseDevice is "bogus" (a string); allowed: "usable"',
    );
    // A key --detect does not know is named by the flag as given, with the keys it knows.
    const detect = ['fuseDevic=missing'];
    const unknown = await failure(load([{ name: 'command-line flags', values: flagsLayer({ detect }), sources: flagSources({ detect }) }]));
    expect(unknown.message).toBe(
      'invalid werf-run config in command-line flags: --detect fuseDevic=missing: unknown key fuseDevic (did you mean fuseDevice?); allowed: rootlessOverlay, fuseDevice, userNamespaces, selinux, usernsRemap, maxUserNamespaces, apparmorRestrictUserns, probe',
    );
    expect(unknown.remedy).toBe('rename or remove the key in --detect fuseDevic=missing');
  });
});

describe('where a setting was made, and how to change it there', () => {
  it('the flag, the variable (either name), the config file, else the default and its flag', async () => {
    const root = project({ '.werfrunrc.json': '{"image": {"pull": "never"}}' });
    const file = path.join(root, '.werfrunrc.json');
    const source = async (overlays: ConfigLayer[]) => {
      const { origins, filepath } = await loadConfig({ cwd: root, stopDir: root, overlays });
      return settingSource(origins, filepath, 'image.pull', 'missing');
    };
    const flags = (pull: string): ConfigLayer => ({ name: 'command-line flags', values: flagsLayer({ pull }), sources: FLAG_SOURCES });
    expect(await source([])).toEqual({ name: `image.pull in ${file}`, change: `set image.pull to "missing" in ${file}` });
    expect(await source([env({ WERF_RUN_PULL: 'never' })])).toEqual({
      name: 'WERF_RUN_PULL (image.pull)',
      change: 'set WERF_RUN_PULL=missing',
    });
    expect(await source([env({ WERF_RUN_IMAGE_PULL: 'never' })])).toEqual({
      name: 'WERF_RUN_IMAGE_PULL (image.pull)',
      change: 'set WERF_RUN_IMAGE_PULL=missing',
    });
    expect(await source([env({ WERF_RUN_PULL: 'always' }), flags('never')])).toEqual({ name: '--pull', change: 'use --pull missing' });
    expect(settingSource({}, undefined, 'image.pull', 'missing')).toEqual({
      name: 'image.pull (the default)',
      change: 'use --pull missing',
    });
  });
});

describe('WERF_RUN_* variables', () => {
  it('exist for every scalar key and lists, with the old short names as aliases', () => {
    const layer = envLayer({
      WERF_RUN_IMAGE: 'reg/werf:1',
      WERF_RUN_DOCKER_HOST: 'tcp://127.0.0.1:2375',
      WERF_RUN_ALLOW_PRIVILEGED: 'yes',
      WERF_RUN_ENV_PASS: 'AWS_*, NPM_TOKEN',
      WERF_RUN_VOLUMES_WERF_HOME: 'my-home',
      WERF_RUN_FORWARD_SSH_AGENT: 'off',
      WERF_RUN_MDOE: 'fuse',
    });
    expect(layer.values).toEqual({
      image: { reference: 'reg/werf:1' },
      engine: { host: 'tcp://127.0.0.1:2375' },
      allowPrivileged: true,
      env: { pass: ['AWS_*', 'NPM_TOKEN'] },
      volumes: { werfHome: 'my-home' },
      forward: { sshAgent: false },
    });
    expect(layer.sources['image.reference']).toBe('WERF_RUN_IMAGE');
    expect(layer.unused).toEqual(['WERF_RUN_MDOE']);
  });

  it('the full name wins over its alias', () => {
    expect(envLayer({ WERF_RUN_IMAGE: 'a', WERF_RUN_IMAGE_REFERENCE: 'b' }).values).toEqual({ image: { reference: 'b' } });
  });
});

describe('bad config: one message with the file, the key, what was found and what is allowed; exit 2', () => {
  const bad = async (files: Record<string, string>) => {
    const root = project(files);
    return { root, error: await failure(loadConfig({ cwd: root, stopDir: root })) };
  };

  it('unknown key, with the close one it may mean, and the fix to rename or remove it in the file', async () => {
    const { root, error } = await bad({ '.werfrunrc.json': '{"image": {"chanel": "ea"}}' });
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      `invalid werf-run config in ${path.join(root, '.werfrunrc.json')}: unknown key image.chanel (did you mean image.channel?); allowed in image: repository, group, channel, distro, version, reference, pull`,
    );
    expect(error.remedy).toBe(`rename or remove the key in ${path.join(root, '.werfrunrc.json')}`);
    const nested = await bad({ '.werfrunrc.json': '{"detect": {"fuseDevic": "missing"}}' });
    expect(nested.error.message).toContain(
      'unknown key detect.fuseDevic (did you mean detect.fuseDevice?); allowed in detect: rootlessOverlay, fuseDevice,',
    );
  });

  it('unknown top-level key; no suggestion when no key is close', async () => {
    const { root, error } = await bad({ '.werfrunrc.yaml': 'imgae: {}\n' });
    expect(error.message).toMatch(/unknown key imgae \(did you mean image\?\); allowed: \$schema, \$comment, engine, image, mode,/);
    expect(error.remedy).toBe(`rename or remove the key in ${path.join(root, '.werfrunrc.yaml')}`);
    const far = await bad({ '.werfrunrc.yaml': 'registry: x\nmodes: fuse\n' });
    expect(far.error.message).toMatch(/: unknown key registry, modes \(did you mean mode\?\); allowed: \$schema, [^;]*forward$/);
    expect(far.error.remedy).toMatch(/^rename or remove the keys in /);
  });

  it('an unknown key and a bad value: both fixes', async () => {
    const { error } = await bad({ '.werfrunrc.json': '{"imgae": {}, "mounts": {}}' });
    expect(error.message).toContain('mounts is {} (an object); expected a list');
    expect(error.remedy).toMatch(/^rename or remove the key in \S+, and fix the value/);
  });

  it('wrong type', async () => {
    const { root, error } = await bad({ '.werfrunrc.yaml': 'allowPrivileged: "yes"\nmaxAttempts: many\n' });
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(path.join(root, '.werfrunrc.yaml'));
    expect(error.message).toContain('allowPrivileged is "yes" (a string); expected a boolean');
    expect(error.message).toContain('maxAttempts is "many" (a string); expected a number');
  });

  it('invalid enum value, and a number out of bounds', async () => {
    const { error } = await bad({ '.werfrunrc.json': '{"image": {"channel": "nightly"}, "maxAttempts": 9}' });
    expect(error.message).toContain('image.channel is "nightly" (a string); allowed: "alpha", "beta", "ea", "stable", "rock-solid", "dev"');
    expect(error.message).toContain('maxAttempts is 9 (a number); allowed: <=5');
  });

  it('a wrong item in a list names its index', async () => {
    const { error } = await bad({ '.werfrunrc.json': '{"mounts": [{"source": "a", "target": "relative"}]}' });
    expect(error.message).toMatch(/mounts\.0\.target is "relative" \(a string\);/);
  });

  it('unparsable JSON and YAML name the file and the position', async () => {
    const json = await bad({ '.werfrunrc.json': '{"image": {"channel": "ea",}}' });
    expect(json.error.exitCode).toBe(2);
    expect(json.error.remedy).toBe('fix the syntax so that the file parses');
    // The reason, (line:col), then one frame, once, as YAML's; not the whole text again.
    expect(json.error.message).toBe(
      `cannot load config file ${json.root}/.werfrunrc.json: Expected double-quoted property name (1:28)\n\n 1 | {"image": {"channel": "ea",}}\n--------------------------------^`,
    );
    // Node 20 gives no position for an unexpected token: found all the same.
    const token = await bad({ '.werfrunrc.json': '{"mode": "native",\n "network": host}' });
    expect(token.error.message).toBe(
      `cannot load config file ${token.root}/.werfrunrc.json: Unexpected token 'h' (2:13)\n\n 1 | {"mode": "native",\n 2 |  "network": host}\n-----------------^`,
    );
    const yaml = await bad({ '.werfrunrc.yaml': 'image:\n  channel: [ea\n' });
    expect(yaml.error.message).toMatch(
      new RegExp(`^cannot load config file ${yaml.root}/\\.werfrunrc\\.yaml: [^\\n]* \\(3:1\\)\\n\\n 1 \\| image:\\n`),
    );
    expect(yaml.error.remedy).toMatch(/syntax/);
  });

  it('a .js config that throws', async () => {
    const { root, error } = await bad({ 'werfrun.config.mjs': 'throw new Error("no REGISTRY set");\n' });
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`cannot load config file ${path.join(root, 'werfrun.config.mjs')}: no REGISTRY set`);
    expect(error.remedy).toMatch(/default export/);
  });

  it('a file that is not an object', async () => {
    const { error } = await bad({ '.werfrunrc.json': '["fuse"]' });
    expect(error.message).toMatch(/\(top level\) is \["fuse"\] \(a list\); expected an object/);
  });

  it('a missing --config file', async () => {
    const root = project({});
    const error = await failure(loadConfig({ cwd: root, stopDir: root, explicitPath: 'nope.json' }));
    expect(error).toMatchObject({ exitCode: 2, message: `config file ${path.join(root, 'nope.json')} does not exist` });
  });

  it('a bad WERF_RUN_* value names the variable, not the file', async () => {
    const root = project({ '.werfrunrc.json': '{"mode": "fuse"}' });
    const error = await failure(
      loadConfig({ cwd: root, stopDir: root, overlays: [env({ WERF_RUN_IMAGE_CHANNEL: 'nightly', WERF_RUN_ALLOW_PRIVILEGED: 'maybe' })] }),
    );
    expect(error.exitCode).toBe(2);
    expect(error.message).not.toContain('.werfrunrc.json');
    expect(error.message).toContain('invalid werf-run config in the environment');
    expect(error.message).toContain('WERF_RUN_IMAGE_CHANNEL (image.channel) is "nightly" (a string); allowed: "alpha"');
    expect(error.message).toContain('WERF_RUN_ALLOW_PRIVILEGED (allowPrivileged) is "maybe" (a string); expected a boolean');
  });

  it('never prints a secret: values under secret-looking names are masked, at any depth, and URL passwords too', async () => {
    const token = await bad({ '.werfrunrc.json': '{"env": {"set": {"NPM_TOKEN": ["npm_SECRET1"]}}}' });
    expect(token.error.message).toContain('env.set.NPM_TOKEN is "<redacted>" (a list); expected a string');
    const nested = await bad({
      '.werfrunrc.json': '{"env": {"set": [{"GITLAB_PASSWORD": "pw_SECRET2", "PROXY": "http://u:pw_SECRET3@proxy:3128"}]}}',
    });
    expect(nested.error.message).toContain(
      'env.set is [{"GITLAB_PASSWORD":"<redacted>","PROXY":"http://u:<redacted>@proxy:3128"}] (a list)',
    );
    const top = await bad({ '.werfrunrc.json': '[{"API_KEY": "k_SECRET4"}]' });
    for (const { error } of [token, nested, top]) expect(error.message).not.toMatch(/SECRET/);
  });
});

describe('misspelled WERF_RUN_* variables', () => {
  it("are caught when close to a real name, and other tools' variables are left alone", () => {
    const unused = envLayer({
      WERF_RUN_MOED: 'fuse',
      WERF_RUN_IMAGE_CHANEL: 'ea',
      WERF_RUN_ALOW_PRIVILEGED: '1',
      WERF_RUN_RIG_DIR: '/x',
      WERF_RUN_TEST_IMAGE: 'a',
      WERF_RUN_X: '1',
    }).unused;
    expect(misspelledEnvVars(unused)).toEqual([
      { name: 'WERF_RUN_MOED', meant: 'WERF_RUN_MODE' },
      { name: 'WERF_RUN_IMAGE_CHANEL', meant: 'WERF_RUN_IMAGE_CHANNEL' },
      { name: 'WERF_RUN_ALOW_PRIVILEGED', meant: 'WERF_RUN_ALLOW_PRIVILEGED' },
    ]);
  });

  it('the same rule suggests config keys: at most two edits, and at most half the letters', () => {
    expect(nearest('imgae', ['engine', 'image', 'mode'])).toBe('image');
    expect(nearest('fuseDevic', ['rootlessOverlay', 'fuseDevice'])).toBe('fuseDevice');
    expect(nearest('mod', ['mode'])).toBe('mode');
    expect(nearest('ab', ['mode'])).toBeUndefined();
    expect(nearest('registry', ['engine', 'image', 'mode'])).toBeUndefined();
  });
});

describe('nearest, the closeness rule of every "did you mean"', () => {
  const dashes = (name: string) => name.replace(/^-+/, '');
  it.each([
    ['--dryrun', ['--dry-run', '--reprobe'], '--dry-run'],
    ['--jsn', ['--json'], '--json'],
    ['--reprob', ['--reprobe', '--mode'], '--reprobe'],
    // werf's own options stay werf's: more than two edits, or more than half the stem.
    ['--repo', ['--reprobe'], undefined],
    ['--env', ['--dev'], undefined],
    ['--tag', ['--pull', '--image'], undefined],
  ] as const)('%s among %j is %s', (word, candidates, meant) => {
    expect(nearest(word, candidates, dashes)).toBe(meant);
  });
});

describe('a .json config that does not parse: where', () => {
  it("points at the character V8 names, not where yaml's bad value starts", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'werf-run-cfg-'));
    roots.push(root);
    writeFileSync(path.join(root, '.werfrunrc.json'), '{"mode": nat}\n');
    const error = (await loadConfig({ cwd: root, stopDir: root }).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain("Unexpected token 'a' (1:11)");
    expect(error.message).toContain('\n---------------^');
  });
});

describe('a config file that does not parse shows no secret', () => {
  it.each([
    ['.werfrunrc.json', '{"mode": "native",\n  "env": {"set": {"NPM_TOKEN": npm_s3cr3tvalue_long_enough_to_be_cut}}}\n'],
    ['.werfrunrc.json', '{"env": {"set": {"NPM_TOKEN": "npm_s3cr3tvalue", "X": }}}\n'],
    ['.werfrunrc.json', '{"env": {"set": {"PROXY": "http://u:pr0xypass@proxy:3128"}} "mode": 1}\n'],
    ['.werfrunrc.yaml', 'env:\n  set:\n    NPM_TOKEN: npm_s3cr3tvalue\n    X: [unclosed\n'],
  ])('%s: %j', async (name, text) => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'werf-run-cfg-'));
    roots.push(root);
    writeFileSync(path.join(root, name), text);
    const error = await loadConfig({ cwd: root, stopDir: root }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/^cannot load config file .*\(\d+:\d+\)/);
    expect(error?.message).not.toMatch(/s3cr3t|pr0xypass/);
  });
});
