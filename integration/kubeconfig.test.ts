/**
 * Kubernetes access for werf in its container: the kubeconfig werf would read
 * on this machine, flattened (certificate files embedded) and handed in; the
 * stand-in's `werf kubectl config view` reads it the way client-go does and
 * fails on a certificate file it cannot find.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { managedContainers, runWerfRun, werfProject } from './support.js';

let dir: string;
let project: ReturnType<typeof werfProject>;
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A minikube-style kubeconfig: certificates named by host path, a server on the loopback. */
const fileCerts = (certs: string) => `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: ${certs}/ca.crt
    server: https://127.0.0.1:8443
  name: minikube
contexts:
- context:
    cluster: minikube
    user: minikube
  name: minikube
current-context: minikube
users:
- name: minikube
  user:
    client-certificate: ${certs}/client.crt
    client-key: client.key
`;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wr-kube-'));
  mkdirSync(path.join(dir, 'certs'));
  writeFileSync(path.join(dir, 'certs', 'ca.crt'), 'CA-CERT\n');
  writeFileSync(path.join(dir, 'certs', 'client.crt'), 'CLIENT-CERT\n');
  writeFileSync(path.join(dir, 'client.key'), 'CLIENT-KEY\n');
  writeFileSync(path.join(dir, 'config'), fileCerts(path.join(dir, 'certs')));
  writeFileSync(
    path.join(dir, 'eks'),
    `apiVersion: v1\nkind: Config\nclusters:\n- cluster: {server: "https://eks.example:443"}\n  name: eks\ncontexts:\n- context: {cluster: eks, user: eks}\n  name: eks\ncurrent-context: eks\nusers:\n- name: eks\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n      args: [eks, get-token, --cluster-name, prod]\n`,
  );
  project = werfProject({ app: 'FROM scratch\n' });
});
afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await project?.cleanup();
});

const env = (over: Record<string, string | undefined>) => ({
  HOME: dir,
  KUBECONFIG: undefined,
  WERF_KUBECONFIG: undefined,
  WERF_KUBE_CONFIG: undefined,
  ...over,
});

describe('kubeconfig handed to werf', () => {
  it('a kubeconfig with file certificates works: the files are embedded, the loopback server is a network target', async () => {
    const result = await runWerfRun(['--verbose', 'kubectl', 'config', 'view', '--raw'], {
      cwd: project.dir,
      env: env({ KUBECONFIG: `${path.join(dir, 'missing')}:${path.join(dir, 'config')}` }),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`certificate-authority-data: ${b64('CA-CERT\n')}`);
    expect(result.stdout).toContain(`client-certificate-data: ${b64('CLIENT-CERT\n')}`);
    expect(result.stdout).toContain(`client-key-data: ${b64('CLIENT-KEY\n')}`);
    expect(result.stdout).not.toContain(path.join(dir, 'certs'));
    expect(result.stderr).toContain(
      `kubeconfig: ${path.join(dir, 'config')} flattened, handed to werf as /home/build/.kube/config (mode 0600)`,
    );
    expect(result.stderr).toContain(`KUBECONFIG=${path.join(dir, 'missing')}:${path.join(dir, 'config')} becomes /home/build/.kube/config`);
    // The client key is werf's to print (config view --raw), never werf-run's.
    expect(result.stderr).not.toContain(b64('CLIENT-KEY\n'));

    // The loopback server is a network target: a network that cannot reach it is warned about.
    const none = await runWerfRun(['--dry-run', '--network', 'none', 'converge'], {
      cwd: project.dir,
      env: env({ KUBECONFIG: path.join(dir, 'config') }),
    });
    expect(none.exitCode, none.stderr).toBe(0);
    expect(none.stderr).toMatch(
      /kubeconfig server https:\/\/127\.0\.0\.1:8443 \(cluster "minikube"\) \(127\.0\.0\.1:8443\) (is a|are) loopback address.* on network "none"/,
    );
  });

  it('the same kubeconfig mounted as it is fails in werf on the certificate file (what werf-run prevents)', async () => {
    const asIs = werfProject(
      { app: 'FROM scratch\n' },
      {
        forward: { kubeConfig: false },
        mounts: [{ source: path.join(dir, 'config'), target: '/tmp/kubeconfig', readOnly: true }],
        env: { set: { KUBECONFIG: '/tmp/kubeconfig' } },
      },
    );
    try {
      const result = await runWerfRun(['-q', 'kubectl', 'config', 'view'], { cwd: asIs.dir, env: env({}) });
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(`unable to read certificate-authority ${path.join(dir, 'certs')}/ca.crt for minikube due to open`);
    } finally {
      await asIs.cleanup();
    }
  });

  it('a certificate file missing on this host stops before any container (exit 2), naming it', async () => {
    writeFileSync(path.join(dir, 'broken'), fileCerts(path.join(dir, 'nowhere')));
    const result = await runWerfRun(['converge'], { cwd: project.dir, env: env({ WERF_KUBE_CONFIG: path.join(dir, 'broken') }) });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      `the kubeconfig ${path.join(dir, 'broken')} names certificate-authority ${path.join(dir, 'nowhere')}/ca.crt for cluster "minikube", and that file does not exist on this host`,
    );
    expect(await managedContainers(project.dir)).toEqual([]);
  });

  it('an exec plugin that is not installed here gives the documented error with its fixes (exit 2); integration/kube-exec.test.ts runs real ones', async () => {
    const eks = await runWerfRun(['converge'], {
      cwd: project.dir,
      env: env({ WERF_KUBECONFIG: path.join(dir, 'eks'), PATH: '/usr/bin:/bin' }),
    });
    expect(eks.exitCode).toBe(2);
    expect(eks.stderr).toContain(
      `the exec plugin "aws" of the kubeconfig user "eks" in ${path.join(dir, 'eks')} is not installed here (exec: executable aws not found)`,
    );
    expect(eks.stderr).toContain(
      'install aws on this host (werf-run runs it here and hands werf its token), or give werf a token-based kubeconfig',
    );
    expect(await managedContainers(project.dir)).toEqual([]);
  });

  it("werf's own --kube-config and --kube-context count as its variables do: the file is handed in and the flag names it there", async () => {
    const flag = await runWerfRun(['--dry-run', '--verbose', 'converge', '--kube-config', path.join(dir, 'config')], {
      cwd: project.dir,
      env: env({}),
    });
    expect(flag.exitCode, flag.stderr).toBe(0);
    expect(flag.stderr).toContain(
      `kubeconfig: ${path.join(dir, 'config')} flattened, handed to werf as /home/build/.kube/config (mode 0600); werf's --kube-config names it`,
    );
    expect(flag.stdout).toMatch(/ werf converge --kube-config \/home\/build\/\.kube\/config$/m);
    expect(flag.stdout).not.toContain(`--kube-config ${path.join(dir, 'config')}`);

    // --kube-context picks the exec-plugin user out of a list whose current context is fine: its plugin is what a run would run.
    const list = env({ KUBECONFIG: `${path.join(dir, 'config')}:${path.join(dir, 'eks')}` });
    const current = await runWerfRun(['--dry-run', '--verbose', 'converge'], { cwd: project.dir, env: list });
    expect(current.exitCode).toBe(0);
    expect(current.stdout + current.stderr).not.toContain('exec plugin');
    const context = await runWerfRun(['--dry-run', '--verbose', 'converge', '--kube-context=eks'], { cwd: project.dir, env: list });
    expect(context.exitCode).toBe(0);
    expect(context.stdout + context.stderr).toContain(
      'kubeconfig: user "eks": a run would run its exec plugin here (aws eks get-token --cluster-name prod)',
    );

    const missing = await runWerfRun(['converge', '--kube-config', 'nowhere.yaml'], { cwd: project.dir, env: env({}) });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(
      `werf-run: error: werf's --kube-config names ${path.join(project.dir, 'nowhere.yaml')}, which does not exist on this host`,
    );
    expect(await managedContainers(project.dir)).toEqual([]);
  });

  it('werf build gets no kubeconfig, so a broken one does not stop it', async () => {
    const result = await runWerfRun(['--dry-run', 'build'], {
      cwd: project.dir,
      env: env({ WERF_KUBECONFIG: path.join(dir, 'eks'), WERF_HOME: '/home/me/.werf', WERF_TMP_DIR: '/tmp/me' }),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    // Host paths werf would not find are dropped, each with a note.
    expect(result.stdout).toContain(
      '# WERF_HOME=/home/me/.werf not passed: in the container werf keeps its home and temporary files in the werf-run volumes',
    );
    expect(result.stdout).toContain('# WERF_TMP_DIR=/tmp/me not passed');
    expect(result.stdout).toContain('--env GIT_CONFIG_COUNT=1');
    expect(result.stdout).not.toMatch(/--env '?WERF_(HOME|TMP_DIR|KUBECONFIG)=/);
    expect(result.stdout).toContain(
      '# kubeconfig: werf build does not talk to a cluster (it reads a kubeconfig only for --synchronization kubernetes://, cmd/werf/build/main.go:95,124); none handed in',
    );
    expect(result.stdout).toContain('# WERF_KUBECONFIG not passed: no kubeconfig is handed in');
  });
});
