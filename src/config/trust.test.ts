import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema, type ConfigInput } from './schema.js';
import { findGrants, isCodeConfig, repositoryOf, type GrantContext } from './trust.js';

const ROOT = '/src/app';
const ctx = (over: Partial<GrantContext> = {}): GrantContext => ({
  projectRoot: ROOT,
  realpath: (file) => file,
  setByUser: () => false,
  imageRepositories: [],
  ...over,
});
const grantsOf = (input: ConfigInput, over: Partial<GrantContext> = {}): string[] =>
  findGrants(configSchema.parse(input), ctx(over)).map((g) => `${g.key} ${g.value}`);

describe('what a project file grants (needs consent)', () => {
  it('the defaults and the run-shaping keys grant nothing', () => {
    expect(grantsOf({})).toEqual([]);
    expect(
      grantsOf({
        image: { repository: 'registry.werf.io/werf/werf', group: '2', channel: 'ea', distro: 'ubuntu', pull: 'always' },
        mode: 'fuse',
        maxAttempts: 1,
        detect: { fuseDevice: 'missing', probe: false },
        network: 'none',
        user: 'build1001',
        volumes: { storage: 'mine', werfHome: 'mine-home' },
        mounts: [
          { source: 'secrets', target: '/s' },
          { source: '/src/app/sub', target: '/t', readOnly: true },
        ],
        env: { pass: ['MY_VAR', 'HTTPS_PROXY'], set: { A: 'b' } },
        ciEnv: 'off',
        forward: { dockerConfig: false, kubeConfig: false, sshAgent: false },
        engine: { timeoutMs: 100 },
      }),
    ).toEqual([]);
  });

  it.each<[string, ConfigInput, string[]]>([
    ['privileged', { mode: 'privileged', allowPrivileged: true }, ['mode "privileged"', 'allowPrivileged true']],
    ['the socket', { mountDockerSocket: true }, ['mountDockerSocket true']],
    ['the host root', { mounts: [{ source: '/', target: '/host' }] }, ['mounts[0] "/ -> /host"']],
    ['a path above the repository', { mounts: [{ source: '../../..', target: '/up' }] }, ['mounts[0] "../../.. -> /up"']],
    ['a writable project path', { mounts: [{ source: 'out', target: '/out', readOnly: false }] }, ['mounts[0] "out -> /out"']],
    ['every variable', { env: { pass: ['*', 'MY_VAR'] } }, ['env.pass[0] "*"']],
    ['a secret by name', { env: { pass: ['AWS_SECRET_ACCESS_KEY'] } }, ['env.pass[0] "AWS_SECRET_ACCESS_KEY"']],
    ['another engine', { engine: { host: 'tcp://10.0.0.1:2375' } }, ['engine.host "tcp://10.0.0.1:2375"']],
    ['a docker context', { engine: { context: 'prod' } }, ['engine.context "prod"']],
    ['another image by reference', { image: { reference: 'evil.example/werf:1' } }, ['image.reference "evil.example/werf:1"']],
    ['another image repository', { image: { repository: 'evil.example/werf' } }, ['image.repository "evil.example/werf"']],
    ['the host network', { network: 'host' }, ['network "host"']],
    ["another container's network", { network: 'container:db' }, ['network "container:db"']],
    ['root', { user: '0:0' }, ['user "0:0"']],
    ['root by name', { user: 'root' }, ['user "root"']],
  ])('%s', (_what, input, expected) => {
    expect(grantsOf(input)).toEqual(expected);
  });

  it("werf's own repositories, and a user's mirror, are no grant; a digest of image.repository neither", () => {
    expect(grantsOf({ image: { reference: 'ghcr.io/werf/werf:2.35.1-alpine' } })).toEqual([]);
    expect(grantsOf({ image: { reference: 'registry.werf.io/werf/werf@sha256:' + 'a'.repeat(64) } })).toEqual([]);
    expect(grantsOf({ image: { reference: 'sha256:' + 'a'.repeat(64) } })).toEqual([]);
    expect(
      grantsOf({ image: { reference: 'mirror.example:5000/werf/werf:2' } }, { imageRepositories: ['mirror.example:5000/werf/werf'] }),
    ).toEqual([]);
    expect(grantsOf({ image: { repository: 'evil.example/x', reference: 'sha256:' + 'a'.repeat(64) } })).toEqual([
      `image.reference "sha256:${'a'.repeat(64)}"`,
    ]);
  });

  it('a symbolic link inside the project that leads out is outside', () => {
    const realpath = (file: string): string => (file === path.join(ROOT, 'link') ? '/etc' : file);
    expect(grantsOf({ mounts: [{ source: 'link', target: '/l' }] }, { realpath })).toEqual(['mounts[0] "link -> /l"']);
  });

  it('a key the user set (variable, flag) is theirs: the file value needs no consent', () => {
    expect(grantsOf({ allowPrivileged: true, network: 'host' }, { setByUser: (k) => k === 'allowPrivileged' })).toEqual(['network "host"']);
    expect(grantsOf({ image: { repository: 'evil.example/x' } }, { setByUser: (k) => k === 'image.reference' })).toEqual([]);
    // The file's reference wins over the user's repository: still the file's image.
    expect(grantsOf({ image: { reference: 'evil.example/x:1' } }, { setByUser: (k) => k === 'image.repository' })).toEqual([
      'image.reference "evil.example/x:1"',
    ]);
  });

  it("the user's list of mirrors is read only for an image outside werf's repositories", () => {
    let read = 0;
    const lazy: GrantContext = {
      ...ctx(),
      get imageRepositories() {
        read += 1;
        return [];
      },
    };
    findGrants(configSchema.parse({ image: { channel: 'ea' } }), lazy);
    expect(read).toBe(0);
  });
});

describe('repositoryOf and isCodeConfig', () => {
  it.each([
    ['ghcr.io/werf/werf:2', 'ghcr.io/werf/werf'],
    ['127.0.0.1:5000/werf/werf:2-stable-alpine', '127.0.0.1:5000/werf/werf'],
    ['127.0.0.1:5000/werf/werf', '127.0.0.1:5000/werf/werf'],
    ['ghcr.io/werf/werf@sha256:abc', 'ghcr.io/werf/werf'],
    ['ghcr.io/werf/werf:2@sha256:abc', 'ghcr.io/werf/werf'],
  ])('%s -> %s', (ref, repo) => expect(repositoryOf(ref)).toBe(repo));

  it('js, cjs, mjs, ts are code; json, yaml and package.json are not', () => {
    expect(['a/.werfrunrc.js', 'werfrun.config.cjs', '.werfrunrc.mjs', '.werfrunrc.ts'].map(isCodeConfig)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['.werfrunrc', '.werfrunrc.json', '.werfrunrc.yaml', 'package.json'].map(isCodeConfig)).toEqual([false, false, false, false]);
  });
});
