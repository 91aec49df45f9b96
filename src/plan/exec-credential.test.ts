import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import {
  authProviderCredential,
  checkExpiry,
  execRequest,
  parseExecCredential,
  userWithCredential,
  werfTimeout,
  type ExecRequest,
} from './exec-credential.js';

const owner = { user: 'eks', context: 'prod', where: '/k/config', dir: '/k' };
const v1 = 'client.authentication.k8s.io/v1';
const v1beta1 = 'client.authentication.k8s.io/v1beta1';
const cluster = {
  server: 'https://eks.example',
  'certificate-authority-data': 'Q0E=',
  extensions: [{ name: 'client.authentication.k8s.io/exec', extension: { region: 'eu' } }],
};
const thrown = (f: () => unknown): UsageError => {
  try {
    f();
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error('did not throw');
};

describe('execRequest (client-go exec.go newAuthenticator, isInteractive, refreshCredsLocked)', () => {
  it('runs the command with its args and env, and KUBERNETES_EXEC_INFO as client-go encodes it', () => {
    const r = execRequest(
      { apiVersion: v1beta1, command: 'aws', args: ['eks', 'get-token'], env: [{ name: 'AWS_PROFILE', value: 'prod' }] },
      owner,
      { terminal: false, cluster },
    );
    expect(r).toMatchObject({ command: 'aws', args: ['eks', 'get-token'], interactive: false, apiVersion: v1beta1 });
    expect(r.env.AWS_PROFILE).toBe('prod');
    expect(JSON.parse(r.env.KUBERNETES_EXEC_INFO!)).toEqual({ apiVersion: v1beta1, kind: 'ExecCredential', spec: { interactive: false } });
  });

  it('gives the cluster only with provideClusterInfo, with the exec extension as config', () => {
    const r = execRequest({ apiVersion: v1, command: 'p', interactiveMode: 'Never', provideClusterInfo: true }, owner, {
      terminal: true,
      cluster,
    });
    expect(JSON.parse(r.env.KUBERNETES_EXEC_INFO!).spec).toEqual({
      interactive: false,
      cluster: { server: 'https://eks.example', 'certificate-authority-data': 'Q0E=', config: { region: 'eu' } },
    });
  });

  it('interactiveMode: IfAvailable (v1beta1 default) follows the terminal; Always without one is refused up front', () => {
    expect(execRequest({ apiVersion: v1beta1, command: 'p' }, owner, { terminal: true, cluster }).interactive).toBe(true);
    expect(
      execRequest({ apiVersion: v1, command: 'p', interactiveMode: 'IfAvailable' }, owner, { terminal: false, cluster }).interactive,
    ).toBe(false);
    expect(execRequest({ apiVersion: v1, command: 'p', interactiveMode: 'Always' }, owner, { terminal: true, cluster }).interactive).toBe(
      true,
    );
    const e = thrown(() =>
      execRequest({ apiVersion: v1, command: 'kubelogin', interactiveMode: 'Always' }, owner, { terminal: false, cluster }),
    );
    expect(e.message).toBe(
      'the kubeconfig user "eks" (context "prod") in /k/config gets its credentials from the exec plugin "kubelogin", which must talk to you (interactiveMode: Always: a browser login or a prompt), and this run has no terminal',
    );
    expect(e.remedy).toMatch(/log in once where there is a terminal/);
  });

  it('refuses what kubectl refuses: an unknown apiVersion, v1 without interactiveMode', () => {
    expect(
      thrown(() => execRequest({ apiVersion: 'client.authentication.k8s.io/v1alpha1', command: 'p' }, owner, { terminal: false, cluster }))
        .message,
    ).toMatch(/apiVersion "client.authentication.k8s.io\/v1alpha1"/);
    expect(thrown(() => execRequest({ apiVersion: v1, command: 'p' }, owner, { terminal: false, cluster })).message).toMatch(
      /interactiveMode ""/,
    );
  });

  it('a command with a path separator is relative to its kubeconfig (clientcmd loader), a bare name is looked up on PATH', () => {
    expect(execRequest({ apiVersion: v1beta1, command: './bin/plugin' }, owner, { terminal: false, cluster }).command).toBe(
      '/k/bin/plugin',
    );
    expect(execRequest({ apiVersion: v1beta1, command: 'plugin' }, owner, { terminal: false, cluster }).command).toBe('plugin');
  });
});

const req = (apiVersion = v1beta1): ExecRequest => ({
  command: 'aws',
  args: ['eks', 'get-token'],
  env: {},
  interactive: false,
  apiVersion,
});
const cred = (status: unknown, apiVersion = v1beta1) => JSON.stringify({ apiVersion, kind: 'ExecCredential', status });

describe('parseExecCredential (client-go refreshCredsLocked checks)', () => {
  it('reads a token and its expiry', () => {
    expect(parseExecCredential(cred({ token: 'k8s-aws-v1.abc', expirationTimestamp: '2026-12-07T13:30:00Z' }), req(), owner)).toEqual({
      token: 'k8s-aws-v1.abc',
      expires: new Date('2026-12-07T13:30:00Z'),
      from: 'the exec plugin "aws"',
    });
  });

  it("reads a client certificate pair; with no expirationTimestamp the certificate's NotAfter is the expiry", () => {
    const crt = readFileSync(new URL('./fixtures/exec-client.crt', import.meta.url), 'utf8');
    const key = readFileSync(new URL('./fixtures/exec-client.key', import.meta.url), 'utf8');
    const c = parseExecCredential(cred({ clientCertificateData: crt, clientKeyData: key }, v1), req(v1), owner);
    expect(c.clientCertificateData).toBe(crt);
    expect(c.expires?.toISOString()).toBe('2036-12-04T13:08:14.000Z');
  });

  it.each([
    ['not json', /not an ExecCredential \(decoding stdout\)/],
    [
      cred({ token: 't' }, v1),
      /is configured to use API version client.authentication.k8s.io\/v1beta1, plugin returned version client.authentication.k8s.io\/v1/,
    ],
    [JSON.stringify({ apiVersion: v1beta1, kind: 'ExecCredential' }), /didn't return a status field/],
    [cred({}), /didn't return a token or cert\/key pair/],
    [cred({ clientCertificateData: 'x' }), /returned only certificate or key, not both/],
    [cred({ token: 't', expirationTimestamp: 'soon' }), /expirationTimestamp that is not a time/],
  ])('%s is an error naming the plugin, never quoting its output', (stdout, message) => {
    const e = thrown(() => parseExecCredential(stdout, req(), owner));
    expect(e.message).toMatch(message);
    expect(e.message).toMatch(/^the kubeconfig user "eks" \(context "prod"\) in \/k\/config: the exec plugin "aws" /);
    expect(e.remedy).toBe('run it yourself to see what it says: aws eks get-token');
  });
});

describe('auth-provider users', () => {
  const jwt = (exp: number) => `h.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.s`;
  it('oidc: the id-token in the file, its expiry from the token', () => {
    const token = jwt(1_800_000_000);
    expect(authProviderCredential({ name: 'oidc', config: { 'id-token': token, 'refresh-token': 'r' } }, owner)).toEqual({
      token,
      expires: new Date(1_800_000_000_000),
      from: 'the auth-provider "oidc"\'s id-token in /k/config',
    });
  });
  it('gcp: the access-token and its expiry; without one, the fix is the exec plugin', () => {
    expect(
      authProviderCredential({ name: 'gcp', config: { 'access-token': 'ya29', expiry: '2026-12-07T14:00:00Z' } }, owner).expires,
    ).toEqual(new Date('2026-12-07T14:00:00Z'));
    const e = thrown(() => authProviderCredential({ name: 'gcp', config: {} }, owner));
    expect(e.message).toMatch(/uses the auth-provider "gcp", and the kubeconfig holds no access-token/);
    expect(e.remedy).toMatch(/gke-gcloud-auth-plugin/);
  });
});

describe('the user werf gets', () => {
  it('has the token or the certificate pair (base64) in place of the plugin', () => {
    expect(userWithCredential({ exec: { command: 'aws' } }, { token: 't', from: '' })).toEqual({ token: 't' });
    expect(userWithCredential({ 'auth-provider': { name: 'oidc' } }, { clientCertificateData: 'C', clientKeyData: 'K', from: '' })).toEqual(
      { 'client-certificate-data': 'Qw==', 'client-key-data': 'Sw==' },
    );
  });
});

describe('expiry arithmetic', () => {
  const now = new Date('2026-12-07T13:00:00Z');
  const at = (iso: string) => ({ token: 't', expires: new Date(iso), from: 'the exec plugin "aws"' });
  it('a credential for 15 min (EKS) works, with a warning that werf cannot renew it', () => {
    const r = checkExpiry(at('2026-12-07T13:15:00Z'), owner, now);
    expect(r.note).toBe('the exec plugin "aws" gave werf a credential valid until 2026-12-07T13:15:00.000Z (in 15 min)');
    expect(r.warning).toMatch(/expires at 2026-12-07T13:15:00.000Z \(in 15 min\); werf cannot renew it in its container/);
    expect(checkExpiry(at('2026-12-07T15:00:00Z'), owner, now).warning).toBeUndefined();
    expect(checkExpiry({ token: 't', from: 'x' }, owner, now).note).toBe('x gave werf a credential with no expiry');
  });
  it('expired, or expiring within a minute, stops the run up front', () => {
    expect(thrown(() => checkExpiry(at('2026-12-07T12:50:00Z'), owner, now)).message).toMatch(
      /expires at 2026-12-07T12:50:00.000Z \(10 min ago\), too soon for werf to use it/,
    );
    expect(() => checkExpiry(at('2026-12-07T13:00:30Z'), owner, now)).toThrow(UsageError);
    expect(() => checkExpiry(at('2026-12-07T13:01:30Z'), owner, now)).not.toThrow();
  });
  it("expiring before werf's --timeout could end stops the run, with the fix", () => {
    const e = thrown(() => checkExpiry(at('2026-12-07T13:15:00Z'), owner, now, 1800));
    expect(e.message).toMatch(/before werf's --timeout of 30 min could end/);
    expect(e.remedy).toMatch(/lower --timeout/);
    expect(() => checkExpiry(at('2026-12-07T13:15:00Z'), owner, now, 600)).not.toThrow();
  });
  it("reads werf's --timeout, -t and WERF_TIMEOUT (seconds), the flag winning", () => {
    expect(werfTimeout(['converge', '--timeout', '600'], {})).toBe(600);
    expect(werfTimeout(['converge', '-t=30'], { WERF_TIMEOUT: '900' })).toBe(30);
    expect(werfTimeout(['converge'], { WERF_TIMEOUT: '900' })).toBe(900);
    expect(werfTimeout(['converge', '--', '--timeout', '5'], {})).toBeUndefined();
    expect(werfTimeout(['converge', '--timeout', '0'], {})).toBeUndefined();
  });
});
