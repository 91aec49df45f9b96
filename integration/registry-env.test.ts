/**
 * The engine's registry environment reaches buildah: a real registry on
 * 127.0.0.1 with TLS from a private CA that only the daemon's
 * /etc/docker/certs.d/127.0.0.1:<port>/ca.crt names (as on a host set up for
 * a corporate registry). Without werf-run handing it over, buildah fails on
 * x509 (src/recover/fixtures/registry-ca-unknown.txt).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTlsFiles, startSecondDockerd, type SecondDockerd } from './engines.js';
import { rig, runWerfRun, werfProject } from './support.js';

let dir: string;
let port: number;
let registry: ChildProcess;
let certsDir: string;
let project: ReturnType<typeof werfProject>;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wr-reg-env-'));
  // A private CA and a server certificate for 127.0.0.1, as the TLS engine tests make them.
  const tls = await makeTlsFiles(dir);
  port = await freePort();
  writeFileSync(
    path.join(dir, 'config.yml'),
    `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n  tls:\n    certificate: ${tls.serverCert}\n    key: ${tls.serverKey}\n`,
  );
  registry = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
  const ca = readFileSync(tls.caFile);
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) =>
      https.get({ host: '127.0.0.1', port, path: '/v2/', ca }, (res) => resolve(res.statusCode === 200)).on('error', () => resolve(false)),
    );
    if (up) break;
    if (i > 50) throw new Error('the TLS registry did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  // The daemon pushes there without the CA (it treats 127.0.0.0/8 as insecure); buildah does not.
  const base = `127.0.0.1:${port}/library/busybox:latest`;
  await execa('docker', ['tag', `${rig.WERF_RUN_RIG_REGISTRY}/library/busybox:latest`, base]);
  await execa('docker', ['push', '-q', base]);
  await execa('docker', ['rmi', base]);
  certsDir = `/etc/docker/certs.d/127.0.0.1:${port}`;
  mkdirSync(certsDir, { recursive: true });
  writeFileSync(path.join(certsDir, 'ca.crt'), ca);
  project = werfProject({ app: `FROM ${base}\nRUN echo built-through-the-private-ca\n` });
});
afterAll(async () => {
  if (certsDir) rmSync(certsDir, { recursive: true, force: true });
  registry?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await project?.cleanup();
});

describe("the engine's registry environment", () => {
  it('a base image from a registry whose CA only /etc/docker/certs.d names builds through werf-run', async () => {
    const result = await runWerfRun(['--verbose', 'build'], { cwd: project.dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toContain('built-through-the-private-ca');
    expect(result.stderr).toContain(
      `registries: ${certsDir}/ca.crt (the engine's, for 127.0.0.1:${port}) handed to buildah as /home/build/.config/containers/certs.d/127.0.0.1:${port}/ca.crt`,
    );
  });

  it('doctor lists the registry hand-over: the certs.d file and the CA bundle of this machine', async () => {
    const result = await runWerfRun(['doctor', '--json'], { cwd: project.dir });
    const registries: string[] = JSON.parse(result.stdout).registries;
    expect(registries, result.stderr).toContain(
      `${certsDir}/ca.crt (the engine's, for 127.0.0.1:${port}) handed to buildah as /home/build/.config/containers/certs.d/127.0.0.1:${port}/ca.crt`,
    );
    expect(registries.join('\n')).toMatch(
      /this machine's CA bundle \(.*: \d+ certificates\) handed to werf as \/home\/build\/\.werf\/werf-run\/host-ca-[0-9a-f]{16}\.crt/,
    );
  });

  it('--dry-run lists what would be handed over', async () => {
    const result = await runWerfRun(['--dry-run', '--verbose', 'build'], { cwd: project.dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toContain(`handed to buildah as /home/build/.config/containers/certs.d/127.0.0.1:${port}/ca.crt`);
  });
});

describe("a CA only in this machine's trust store (SSL_CERT_FILE here; the machine's /etc/ssl is not touched)", () => {
  let trusting: ReturnType<typeof werfProject>;
  let bundle: string;
  beforeAll(() => {
    // Its own storage volume: the base image is pulled again, not found in the first project's storage.
    trusting = werfProject({ app: `FROM 127.0.0.1:${port}/library/busybox:latest\nRUN echo built-through-the-host-trust-store\n` });
    bundle = path.join(dir, 'host-bundle.pem');
    writeFileSync(bundle, readFileSync(path.join(certsDir, 'ca.crt')));
  });
  afterAll(async () => {
    await trusting?.cleanup();
  });

  it('werf and buildah trust it: the build pulls FROM the private-CA registry; switched off, the pull fails on x509', async () => {
    // Without the daemon's certs.d entry, only the host's trust store names the CA.
    const saved = readFileSync(path.join(certsDir, 'ca.crt'));
    rmSync(certsDir, { recursive: true, force: true });
    try {
      const result = await runWerfRun(['--verbose', 'build'], {
        cwd: trusting.dir,
        env: { SSL_CERT_FILE: bundle, SSL_CERT_DIR: undefined },
      });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout + result.stderr).toContain('built-through-the-host-trust-store');
      expect(result.stderr).toContain(
        `trust store: this machine's CA bundle (${bundle}: 1 certificates) handed to werf as /home/build/.werf/werf-run/host-ca-`,
      );
      // A project of its own (its own storage volume): the first one already holds the base image.
      const untrusting = werfProject({ app: `FROM 127.0.0.1:${port}/library/busybox:latest\nRUN echo never\n` });
      let off;
      try {
        off = await runWerfRun(['build'], {
          cwd: untrusting.dir,
          env: { SSL_CERT_FILE: bundle, SSL_CERT_DIR: undefined, WERF_RUN_FORWARD_HOST_CERTIFICATES: 'false' },
        });
      } finally {
        await untrusting.cleanup();
      }
      expect(off.exitCode).not.toBe(0);
      expect(off.stdout + off.stderr).toMatch(/x509: certificate signed by unknown authority/);
    } finally {
      mkdirSync(certsDir, { recursive: true });
      writeFileSync(path.join(certsDir, 'ca.crt'), saved);
    }
  });
});

describe('a daemon with a docker.io mirror (test-rig.md: A daemon with a mirror, offline)', () => {
  let second: SecondDockerd;
  let mirrored: ReturnType<typeof werfProject>;
  beforeAll(async () => {
    second = await startSecondDockerd({
      extraArgs: ['--registry-mirror', `http://${rig.WERF_RUN_RIG_REGISTRY}`, '--insecure-registry', rig.WERF_RUN_RIG_REGISTRY!],
    });
    mirrored = werfProject({ app: 'FROM docker.io/library/busybox:latest\nRUN echo pulled-through-the-mirror\n' });
  }, 120_000);
  afterAll(async () => {
    await mirrored?.cleanup();
    await second?.stop();
  });

  it('FROM docker.io/library/busybox pulls through the mirror with no internet', async () => {
    const result = await runWerfRun(['--verbose', 'build'], { cwd: mirrored.dir, env: { DOCKER_HOST: second.socketUrl } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toContain('pulled-through-the-mirror');
    expect(result.stderr).toContain(`registries: the engine's docker.io mirrors http://${rig.WERF_RUN_RIG_REGISTRY}/; insecure registries`);
  });
});
