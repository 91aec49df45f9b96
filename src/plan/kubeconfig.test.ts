import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { flattenKubeconfig, kubeconfigSources, kubeFlags, withKubeConfigPath } from './kubeconfig.js';

const kube = (over: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Config',
  'current-context': 'kind',
  clusters: [{ name: 'kind', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority': 'ca.crt' } }],
  users: [{ name: 'me', user: { 'client-certificate': '/certs/me.crt', 'client-key': '/certs/me.key' } }],
  contexts: [{ name: 'kind', context: { cluster: 'kind', user: 'me' } }],
  ...over,
});
const files: Record<string, string> = { '/k/ca.crt': 'CA', '/certs/me.crt': 'CRT', '/certs/me.key': 'KEY' };
const readFile = (f: string) => (files[f] === undefined ? undefined : Buffer.from(files[f]!));
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('kubeconfigSources', () => {
  it.each([
    [
      { WERF_KUBE_CONFIG: '/a', KUBECONFIG: '/b' },
      { files: ['/a'], variable: 'WERF_KUBE_CONFIG' },
    ],
    [{ WERF_KUBECONFIG: '/a:/b' }, { files: ['/a', '/b'], variable: 'WERF_KUBECONFIG' }],
    [{ KUBECONFIG: '/a::/c' }, { files: ['/a', '/c'], variable: 'KUBECONFIG' }],
    [{}, { files: ['/home/u/.kube/config'] }],
    [
      { KUBECONFIG_BASE64: 'eA==', KUBECONFIG: '/a' },
      { base64: { name: 'KUBECONFIG_BASE64', value: 'eA==' }, files: [] },
    ],
  ])('%j -> %j', (env, expected) => expect(kubeconfigSources(env, '/home/u')).toEqual(expected));
});

describe('flattenKubeconfig', () => {
  it('embeds certificate and key files (relative to the kubeconfig) and finds a loopback server', () => {
    const flat = flattenKubeconfig({ docs: [{ doc: kube(), source: { where: '/k/config', dir: '/k' } }], readFile });
    expect(flat.config.clusters).toEqual([
      { name: 'kind', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64('CA') } },
    ]);
    expect(flat.config.users).toEqual([{ name: 'me', user: { 'client-certificate-data': b64('CRT'), 'client-key-data': b64('KEY') } }]);
    expect(flat.targets).toEqual([{ what: 'kubeconfig server https://127.0.0.1:6443 (cluster "kind")', host: '127.0.0.1:6443' }]);
    expect(flat.context).toBe('kind');
  });

  it('merges files as kubectl does (first wins) and minifies to the context werf uses (current-context or WERF_KUBE_CONTEXT)', () => {
    const second = kube({
      'current-context': 'prod',
      clusters: [
        { name: 'prod', cluster: { server: 'https://prod.example:443' } },
        { name: 'kind', cluster: { server: 'https://other' } },
      ],
      users: [{ name: 'ci', user: { token: 't' } }],
      contexts: [{ name: 'prod', context: { cluster: 'prod', user: 'ci' } }],
    });
    const docs = [
      { doc: kube(), source: { where: '/k/config', dir: '/k' } },
      { doc: second, source: { where: '/k/two', dir: '/k' } },
    ];
    const current = flattenKubeconfig({ docs, readFile });
    // kubectl config view --minify: only the current context's cluster and user; "prod" and its token stay out.
    expect((current.config.clusters as { name: string }[]).map((c) => c.name)).toEqual(['kind']);
    expect(current.config.users).toEqual([{ name: 'me', user: { 'client-certificate-data': b64('CRT'), 'client-key-data': b64('KEY') } }]);
    expect(current.config['current-context']).toBe('kind');
    expect(current.notes).toContain('kubeconfig: minified to context "kind" (its cluster and user only)');
    // No usable context: nothing to minify to, all is kept.
    const none = flattenKubeconfig({ docs: docs.map((d) => ({ ...d, doc: { ...(d.doc as object), 'current-context': '' } })), readFile });
    expect((none.config.clusters as { name: string }[]).map((c) => c.name)).toEqual(['kind', 'prod']);
    const prod = flattenKubeconfig({ docs, readFile, context: 'prod' });
    expect(prod.config.clusters).toEqual([{ name: 'prod', cluster: { server: 'https://prod.example:443' } }]);
    expect(prod.config.users).toEqual([{ name: 'ci', user: { token: 't' } }]);
    expect(prod.targets).toEqual([]);
  });

  it('stops on a certificate file that does not exist, naming it and the kubeconfig', () => {
    expect(() => flattenKubeconfig({ docs: [{ doc: kube(), source: { where: '/k/config', dir: '/elsewhere' } }], readFile })).toThrow(
      'the kubeconfig /k/config names certificate-authority /elsewhere/ca.crt for cluster "kind", and that file does not exist on this host',
    );
  });

  it.each([
    [{ exec: { command: 'aws', args: ['eks', 'get-token'] } }, 'exec'],
    [{ 'auth-provider': { name: 'gcp' } }, 'auth-provider'],
  ])('an exec or auth-provider plugin of the used user is returned for the host to run: %j', (user, kind) => {
    const flat = flattenKubeconfig({
      docs: [{ doc: kube({ users: [{ name: 'me', user }] }), source: { where: '/k/config', dir: '/k' } }],
      readFile,
    });
    expect(flat.plugin).toEqual({
      user: 'me',
      kind,
      source: { where: '/k/config', dir: '/k' },
      cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64('CA') },
    });
    expect(flat.config.users).toEqual([{ name: 'me', user }]);
  });

  it('a plugin user with no context to tell whether werf uses it is an error with the fix', () => {
    const doc = kube({ 'current-context': '', users: [{ name: 'eks', user: { exec: { command: 'aws' } } }] });
    let error: unknown;
    try {
      flattenKubeconfig({ docs: [{ doc, source: { where: '/k/config', dir: '/k' } }], readFile });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(
      'the kubeconfig user "eks" in /k/config gets its credentials from the exec plugin "aws", and no context says whether werf uses it',
    );
    expect((error as UsageError).remedy).toMatch(/--kube-context/);
  });

  it('ignores a plugin of a user the chosen context does not use', () => {
    const doc = kube({
      users: [
        { name: 'me', user: { token: 't' } },
        { name: 'eks', user: { exec: { command: 'aws' } } },
      ],
    });
    const flat = flattenKubeconfig({ docs: [{ doc, source: { where: '/k/config', dir: '/k' } }], readFile });
    expect(flat.plugin).toBeUndefined();
    expect(flat.config.users).toEqual([{ name: 'me', user: { token: 't' } }]);
  });

  it('names a WERF_KUBE_CONTEXT that no kubeconfig has', () => {
    expect(() =>
      flattenKubeconfig({ docs: [{ doc: kube(), source: { where: '/k/config', dir: '/k' } }], readFile, context: 'nope' }),
    ).toThrow(/WERF_KUBE_CONTEXT is "nope", but no kubeconfig werf reads \(\/k\/config\) has that context/);
  });
});

describe("werf's kube flags", () => {
  it('reads --kube-config, --kube-config-base64 and --kube-context in either form, before --, the last one winning', () => {
    expect(kubeFlags(['converge', '--kube-config', 'a', '--kube-context=c1', '--kube-context', 'c2', '--', '--kube-config', 'z'])).toEqual({
      config: { value: 'a', index: 2 },
      context: 'c2',
    });
    expect(kubeFlags(['converge', '--kube-config=b', '--kube-config-base64', 'Zm9v'])).toEqual({
      config: { value: 'b', index: 1 },
      base64: 'Zm9v',
    });
    expect(kubeFlags(['converge', '--kube-context'])).toEqual({});
  });

  it('points --kube-config at the handed-in file, in the form it was given', () => {
    const target = '/home/build/.kube/config';
    expect(
      withKubeConfigPath(['converge', '--kube-config', 'a', '--dev'], kubeFlags(['converge', '--kube-config', 'a', '--dev']), target),
    ).toEqual(['converge', '--kube-config', target, '--dev']);
    expect(withKubeConfigPath(['converge', '--kube-config=a'], kubeFlags(['converge', '--kube-config=a']), target)).toEqual([
      'converge',
      `--kube-config=${target}`,
    ]);
    expect(withKubeConfigPath(['converge'], {}, target)).toEqual(['converge']);
  });

  it("a flag goes before the variables; a relative --kube-config is the working directory's", () => {
    const env = { KUBECONFIG: '/k/one', WERF_KUBE_CONFIG_BASE64: 'eA==' };
    expect(kubeconfigSources(env, '/home/u', { config: { value: 'kc.yaml', index: 2 } }, '/src/app')).toEqual({
      files: ['/src/app/kc.yaml'],
      variable: '--kube-config',
    });
    expect(kubeconfigSources(env, '/home/u', { base64: 'Zm9v' })).toEqual({
      base64: { name: '--kube-config-base64', value: 'Zm9v' },
      files: [],
    });
    expect(kubeconfigSources(env, '/home/u')).toEqual({ base64: { name: 'WERF_KUBE_CONFIG_BASE64', value: 'eA==' }, files: [] });
  });
});
