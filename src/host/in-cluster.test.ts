import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { inClusterAccess, inClusterForWerf } from './in-cluster.js';

let dir: string;
let sa: string;
const jwt = (exp: number) =>
  `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ exp, sub: 'system:serviceaccount:ci:runner' })).toString('base64url')}.sig`;
const now = new Date('2026-12-07T13:00:00Z');
const token = jwt(now.getTime() / 1000 + 3607);
const pod = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wr-in-cluster-'));
  sa = path.join(dir, 'serviceaccount');
  mkdirSync(sa);
  writeFileSync(path.join(sa, 'token'), `${token}\n`);
  writeFileSync(path.join(sa, 'ca.crt'), 'CLUSTER-CA\n');
  writeFileSync(path.join(sa, 'namespace'), 'ci');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const input = (over: Partial<Parameters<typeof inClusterForWerf>[0]> = {}) => ({
  env: pod,
  hostHome: dir,
  werfArgs: ['converge'],
  cwd: dir,
  home: '/home/build',
  serviceAccountDir: sa,
  now,
  ...over,
});

describe('in-cluster access (client-go InClusterConfig)', () => {
  it('needs KUBERNETES_SERVICE_HOST, _PORT and a token file', () => {
    expect(inClusterAccess({}, sa)).toBeUndefined();
    expect(inClusterAccess({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }, sa)).toBeUndefined();
    expect(inClusterAccess(pod, path.join(dir, 'nowhere'))).toBeUndefined();
    expect(inClusterAccess(pod, sa)).toEqual({ server: 'https://10.96.0.1:443', token, ca: Buffer.from('CLUSTER-CA\n'), namespace: 'ci' });
    expect(inClusterAccess({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, sa)?.server).toBe(
      'https://[fd00::1]:443',
    );
  });

  it("a command that talks to a cluster, with no kubeconfig, gets the Pod's access as a kubeconfig, with the token's expiry", async () => {
    const found = await inClusterForWerf(input());
    expect(found.file?.path).toBe('/home/build/.kube/config');
    expect(found.file?.secret).toBe(true);
    expect(parse(found.file!.content.toString())).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'in-cluster',
      clusters: [
        {
          name: 'in-cluster',
          cluster: { server: 'https://10.96.0.1:443', 'certificate-authority-data': Buffer.from('CLUSTER-CA\n').toString('base64') },
        },
      ],
      users: [{ name: 'service-account', user: { token } }],
      contexts: [{ name: 'in-cluster', context: { cluster: 'in-cluster', user: 'service-account', namespace: 'ci' } }],
    });
    expect(found.notes[0]).toMatch(
      /^in-cluster: werf runs in a Pod with no kubeconfig; werf gets the Pod's access to https:\/\/10.96.0.1:443 \(namespace ci\) as \/home\/build\/.kube\/config \(mode 0600\); the Pod's ServiceAccount token \(.*\/token\) gave werf a credential valid until 2026-12-07T14:00:07.000Z \(in 60 min\)$/,
    );
    expect(found.notes.join()).not.toContain(token);
    expect(found.warnings).toEqual([]);
  });

  it('a kubeconfig on the host wins, as in client-go; a command without a cluster gets nothing', async () => {
    writeFileSync(path.join(dir, 'kc'), 'apiVersion: v1\n');
    expect((await inClusterForWerf(input({ env: { ...pod, KUBECONFIG: path.join(dir, 'kc') } }))).file).toBeUndefined();
    const build = await inClusterForWerf(input({ werfArgs: ['build'] }));
    expect(build.file).toBeUndefined();
    expect(build.notes).toEqual([expect.stringMatching(/werf build does not talk to a cluster/)]);
    expect(await inClusterForWerf(input({ env: {} }))).toEqual({ notes: [], warnings: [] });
  });
});

describe('an in-cluster server on the loopback (a Pod on the host network)', () => {
  it('is a loopback target, so the werf container gets the network that reaches it; a cluster IP is not', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wr-sa-loop-'));
    try {
      writeFileSync(path.join(dir, 'token'), 'plain-token');
      const base = { hostHome: dir, werfArgs: ['converge'], cwd: dir, home: '/home/build', serviceAccountDir: dir, now: new Date() };
      const loop = await inClusterForWerf({ ...base, env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '6443' } });
      expect(loop.targets).toEqual([{ what: 'in-cluster server https://127.0.0.1:6443', host: '127.0.0.1:6443' }]);
      const pod = await inClusterForWerf({ ...base, env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } });
      expect(pod.file).toBeDefined();
      expect(pod.targets).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
