/**
 * Managed-cluster kubeconfigs: the user's credentials come from an exec
 * plugin (EKS's aws, GKE's gke-gcloud-auth-plugin, AKS's kubelogin). Real
 * parts: plugin scripts on this host printing an ExecCredential (one failing,
 * one that needs a terminal), and a real HTTPS endpoint on 127.0.0.1 (a
 * private CA, in the kubeconfig) that answers /version only for the bearer
 * token the plugin printed; the stand-in's `werf kubectl get --raw /version`
 * reaches it from the werf container.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTlsFiles, type TlsFiles } from './engines.js';
import { managedContainers, runWerfRun, werfProject } from './support.js';

const TOKEN = 'k8s-aws-v1.it-token-0123456789';
let dir: string;
let server: https.Server;
let port: number;
let project: ReturnType<typeof werfProject>;
const seen: string[] = [];

let tls: TlsFiles;

/** A kubeconfig whose only user runs `plugin` (args, interactiveMode). */
const kubeconfig = (plugin: string, extra = '') => `apiVersion: v1
kind: Config
current-context: managed
clusters:
- name: managed
  cluster:
    server: https://127.0.0.1:${port}
    certificate-authority-data: ${readFileSync(tls.caFile).toString('base64')}
- name: other
  cluster: {server: "https://other.example:443"}
contexts:
- name: managed
  context: {cluster: managed, user: eks}
- name: other
  context: {cluster: other, user: other-admin}
users:
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: ${plugin}
      args: [eks, get-token, --cluster-name, prod]
      env: [{name: PLUGIN_REGION, value: eu-west-1}]
${extra}- name: other-admin
  user: {token: other-cluster-secret}
`;

const script = (name: string, body: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wr-kube-exec-'));
  // A private CA and a server certificate for 127.0.0.1, as the TLS engine tests make them.
  tls = await makeTlsFiles(dir);
  server = https.createServer({ key: readFileSync(tls.serverKey), cert: readFileSync(tls.serverCert) }, (req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`);
    const ok = req.headers.authorization === `Bearer ${TOKEN}`;
    const body =
      ok && req.url === '/version'
        ? JSON.stringify({ major: '1', minor: '31', gitVersion: 'v1.31.0-werf-run-it' })
        : JSON.stringify({ kind: 'Status', code: 401, message: 'Unauthorized' });
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const expires = new Date(Date.now() + 2 * 3600_000).toISOString();
  // Prints what kubectl's plugins print; records what it was given (KUBERNETES_EXEC_INFO, its own env, its args).
  script(
    'good-plugin',
    `printf '%s\\n' "$KUBERNETES_EXEC_INFO" > "${dir}/exec-info"; printf '%s %s\\n' "$PLUGIN_REGION" "$*" > "${dir}/plugin-args"\ncat <<JSON\n{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"${TOKEN}","expirationTimestamp":"${expires}"}}\nJSON`,
  );
  script(
    'wrong-plugin',
    `echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"not-the-token"}}'`,
  );
  script('failing-plugin', `echo "An error occurred (ExpiredToken): the SSO session has expired; run aws sso login" >&2\nexit 3`);
  script('browser-plugin', `touch "${dir}/browser-ran"\necho '{}'`);
  writeFileSync(path.join(dir, 'good'), kubeconfig(path.join(dir, 'good-plugin')));
  writeFileSync(path.join(dir, 'wrong'), kubeconfig(path.join(dir, 'wrong-plugin')));
  writeFileSync(path.join(dir, 'failing'), kubeconfig(path.join(dir, 'failing-plugin')));
  writeFileSync(
    path.join(dir, 'browser'),
    kubeconfig(path.join(dir, 'browser-plugin')).replace('      env: [', '      interactiveMode: Always\n      env: ['),
  );
  writeFileSync(path.join(dir, 'relative'), kubeconfig('./good-plugin'));
  project = werfProject({ app: 'FROM scratch\n' });
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
  await project?.cleanup();
});

const env = (kubeconfigFile: string) => ({
  HOME: dir,
  KUBECONFIG: path.join(dir, kubeconfigFile),
  WERF_KUBECONFIG: undefined,
  WERF_KUBE_CONFIG: undefined,
});

describe('a kubeconfig whose user runs an exec plugin', () => {
  it('werf reaches the cluster with the token the plugin printed here (werf kubectl get --raw /version)', async () => {
    seen.length = 0;
    const result = await runWerfRun(['--verbose', 'kubectl', 'get', '--raw', '/version'], { cwd: project.dir, env: env('good') });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ major: '1', minor: '31', gitVersion: 'v1.31.0-werf-run-it' });
    expect(seen).toEqual([`GET /version Bearer ${TOKEN}`]);
    // As kubectl runs it: its args, its env entries, KUBERNETES_EXEC_INFO (no terminal here: not interactive).
    expect(readFileSync(path.join(dir, 'plugin-args'), 'utf8')).toBe('eu-west-1 eks get-token --cluster-name prod\n');
    expect(JSON.parse(readFileSync(path.join(dir, 'exec-info'), 'utf8'))).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      kind: 'ExecCredential',
      spec: { interactive: false },
    });
    expect(result.stderr).toMatch(
      /kubeconfig: user "eks": the exec plugin "\S+good-plugin" gave werf a credential valid until \S+ \(in (119|120) min\)/,
    );
    expect(result.stderr).toContain('kubeconfig: minified to context "managed" (its cluster and user only)');
    // Never printed by werf-run.
    expect(result.stderr).not.toContain(TOKEN);
  });

  it('the kubeconfig werf gets holds the token, not the plugin, and only the used context (kubectl config view --minify)', async () => {
    const result = await runWerfRun(['-q', 'kubectl', 'config', 'view', '--raw'], { cwd: project.dir, env: env('good') });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`token: ${TOKEN}`);
    expect(result.stdout).not.toContain('exec:');
    expect(result.stdout).not.toContain('other-cluster-secret');
    expect(result.stdout).not.toContain('other.example');
  });

  it("a relative command is the kubeconfig directory's, as kubectl resolves it", async () => {
    const result = await runWerfRun(['-q', 'kubectl', 'get', '--raw', '/version'], { cwd: project.dir, env: env('relative') });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('v1.31.0-werf-run-it');
  });

  it('the cluster refuses a wrong token: werf fails as kubectl does (the server really checks)', async () => {
    const result = await runWerfRun(['-q', 'kubectl', 'get', '--raw', '/version'], { cwd: project.dir, env: env('wrong') });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('You must be logged in to the server (Unauthorized)');
  });

  it('a failing plugin stops the run before any container (exit 2): its own stderr, then the fix', async () => {
    const result = await runWerfRun(['converge'], { cwd: project.dir, env: env('failing') });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('An error occurred (ExpiredToken): the SSO session has expired; run aws sso login');
    expect(result.stderr).toContain(
      `the exec plugin "${path.join(dir, 'failing-plugin')}" of the kubeconfig user "eks" in ${path.join(dir, 'failing')} failed with exit code 3`,
    );
    expect(result.stderr).toContain(
      `run it yourself to see why, and log in again: ${path.join(dir, 'failing-plugin')} eks get-token --cluster-name prod`,
    );
    expect(await managedContainers(project.dir)).toEqual([]);
  });

  it('a plugin that must talk to the user (interactiveMode: Always) with no terminal is refused up front, not run', async () => {
    const result = await runWerfRun(['converge'], { cwd: project.dir, env: env('browser') });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      'must talk to you (interactiveMode: Always: a browser login or a prompt), and this run has no terminal',
    );
    expect(existsSync(path.join(dir, 'browser-ran'))).toBe(false);
  });

  it('werf helm secret never contacts a cluster: the plugin is not run and nothing is refused', async () => {
    const result = await runWerfRun(['--dry-run', '--verbose', 'helm', 'secret', 'values', 'encrypt', 'values.yaml'], {
      cwd: project.dir,
      env: env('failing'),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toContain('kubeconfig: werf helm secret values encrypt does not talk to a cluster');
    expect(result.stderr).not.toContain('ExpiredToken');
  });

  it('--dry-run says which plugin a run would run, and runs none', async () => {
    rmSync(path.join(dir, 'plugin-args'), { force: true });
    const result = await runWerfRun(['--dry-run', '--verbose', 'converge'], { cwd: project.dir, env: env('good') });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toContain(
      `kubeconfig: user "eks": a run would run its exec plugin here (${path.join(dir, 'good-plugin')} eks get-token --cluster-name prod)`,
    );
    expect(existsSync(path.join(dir, 'plugin-args'))).toBe(false);
  });
});

describe("werf converge's deploy report (the stand-in deploys nothing, but reaches the cluster and writes the report as nelm does)", () => {
  const report = () => path.join(project.dir, '.werf-deploy-report.json');
  afterAll(() => rmSync(report(), { force: true }));

  it('--save-deploy-report: after reaching the cluster, .werf-deploy-report.json in the project, 0600, owned by the checkout owner', async () => {
    seen.length = 0;
    const result = await runWerfRun(['-q', 'converge', '--save-deploy-report', '--env', 'staging'], { cwd: project.dir, env: env('good') });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(seen).toEqual([`GET /version Bearer ${TOKEN}`]);
    const stat = statSync(report());
    expect({ uid: stat.uid, mode: stat.mode & 0o777 }).toEqual({ uid: 1000, mode: 0o600 });
    expect(JSON.parse(readFileSync(report(), 'utf8'))).toEqual({
      version: 3,
      release: 'it-staging',
      namespace: 'it-staging',
      revision: 1,
      status: 'deployed',
    });
  });

  it('no kubeconfig: werf fails reaching localhost:8080 before any report, and werf-run names the fix (exit 125)', async () => {
    rmSync(report(), { force: true });
    const result = await runWerfRun(['converge', '--save-deploy-report'], {
      cwd: project.dir,
      env: { ...env('good'), KUBECONFIG: undefined },
    });
    expect(result.exitCode).toBe(125);
    expect(result.stdout + result.stderr).toContain('Kubernetes cluster unreachable: Get "http://localhost:8080/version"');
    expect(result.stderr).toContain('werf got no kubeconfig');
    expect(existsSync(report())).toBe(false);
  });
});

/**
 * What the kernel says, read on this host (the rig engine's host): an enabled
 * binfmt_misc handler for aarch64 registered with the F flag is what lets a
 * container run arm64 programs. Not mounted here: no handlers can be registered.
 */
function hostRunsArm64InContainers(): boolean {
  const dir = '/proc/sys/fs/binfmt_misc';
  if (!existsSync(path.join(dir, 'status'))) return false;
  return readdirSync(dir).some((name) => {
    if (!/aarch64/.test(name)) return false;
    const entry = readFileSync(path.join(dir, name), 'utf8');
    return /^enabled/.test(entry) && /^flags: .*F/m.test(entry);
  });
}

describe('--platform for an architecture the Docker host cannot run', () => {
  it("the probe runs an amd64 and an arm64 test program in a container on the engine's host: the arm64 one runs as the host's kernel says", async () => {
    const result = await runWerfRun(['doctor', '--json'], { cwd: project.dir, env: env('good') });
    const binfmt = JSON.parse(result.stdout).facts.binfmt;
    expect(binfmt.source, result.stderr).toBe('probe');
    expect(binfmt.value.programs.amd64).toEqual({ runs: true, detail: 'its test program exited 42' });
    expect(binfmt.value.programs.arm64.runs).toBe(hostRunsArm64InContainers());
    if (!binfmt.value.programs.arm64.runs) expect(binfmt.value.programs.arm64.detail).toMatch(/Exec format error/);
  });
  it("stops before werf with the command that registers the handlers, from the probe's evidence (any engine, not only a local one)", async () => {
    const result = await runWerfRun(['build', '--platform', 'linux/arm64'], { cwd: project.dir, env: env('good') });
    if (hostRunsArm64InContainers()) {
      expect(result.stderr).not.toContain('--platform linux/arm64: the Docker host');
      return;
    }
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /--platform linux\/arm64: the Docker host is amd64 and runs no arm64 program in a container \(the probe's arm64 test program: exit \d+: .*Exec format error\): its kernel has no binfmt_misc handler for arm64 registered with the F flag \(qemu-aarch64\)/,
    );
    expect(result.stderr).toContain('docker run --rm --privileged multiarch/qemu-user-static --reset -p yes');
    expect(await managedContainers(project.dir)).toEqual([]);
  });
});
