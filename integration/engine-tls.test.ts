/**
 * A Docker Engine on tcp://127.0.0.1 with TLS verification (a dockerd of this
 * test's own, certificates from a throwaway CA): reached the docker CLI's ways,
 * DOCKER_TLS_VERIFY + DOCKER_CERT_PATH and a context with TLS material.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTlsFiles, startSecondDockerd, type StartedEngine, type TlsFiles } from './engines.js';
import { runWerfRun, werfProject } from './support.js';

describe('a TLS-protected Docker Engine', () => {
  let dir: string;
  let tls: TlsFiles;
  let engine: StartedEngine;
  let project: ReturnType<typeof werfProject>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wr-tls-'));
    tls = await makeTlsFiles(dir);
    engine = await startSecondDockerd({ tls });
    project = werfProject({ app: 'FROM 127.0.0.1:5000/library/busybox:latest\n' });
  });
  afterAll(async () => {
    const results = await Promise.allSettled([engine?.stop(), project?.cleanup()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  });

  const env = (over: Record<string, string | undefined>) => ({
    DOCKER_CONFIG: path.join(dir, 'no-docker-config'),
    DOCKER_HOST: undefined,
    DOCKER_CONTEXT: undefined,
    DOCKER_TLS_VERIFY: undefined,
    DOCKER_CERT_PATH: undefined,
    ...over,
  });
  // --dry-run connects, asks /info and plans: enough to prove the connection
  // (the "engine: URL (from ...)" line is printed only once an engine answered).
  const probe = (over: Record<string, string | undefined>) =>
    runWerfRun(['--verbose', '--dry-run', 'version'], { cwd: project.dir, env: env(over) });
  // A real run: --dry-run would plan with assumed facts when no engine answers.
  const run = (over: Record<string, string | undefined>) => runWerfRun(['version'], { cwd: project.dir, env: env(over) });

  it('DOCKER_HOST=tcp://... with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH', async () => {
    const result = await probe({ DOCKER_HOST: engine.tcpUrl, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: tls.clientDir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `engine: ${engine.tcpUrl} (from DOCKER_HOST with DOCKER_TLS_VERIFY (certificates from DOCKER_CERT_PATH ${tls.clientDir}))`,
    );
    expect(result.stderr).toMatch(/engine: docker 20\./);
  });

  it('without DOCKER_TLS_VERIFY the engine refuses, and the message says TLS is missing (exit 125)', async () => {
    const result = await run({ DOCKER_HOST: engine.tcpUrl });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(`${engine.tcpUrl} (from DOCKER_HOST): the engine speaks TLS but werf-run was not told to`);
  });

  it('a DOCKER_CERT_PATH without the certificates is named as such (exit 125)', async () => {
    const result = await run({ DOCKER_HOST: engine.tcpUrl, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: path.join(dir, 'empty') });
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toContain(`cannot read the TLS file ${path.join(dir, 'empty', 'ca.pem')}`);
    expect(result.stderr).not.toContain('no such socket');
  });

  it('a context made by the docker CLI with TLS material, from the context store', async () => {
    const config = path.join(dir, 'docker-config');
    const c = tls.clientDir;
    await execa(
      'docker',
      ['context', 'create', 'wr-tls', '--docker', `host=${engine.tcpUrl},ca=${c}/ca.pem,cert=${c}/cert.pem,key=${c}/key.pem`],
      {
        env: { DOCKER_CONFIG: config },
      },
    );
    // The docker CLI keeps the copies where werf-run looks: contexts/tls/<sha256 of the name>/docker.
    const hash = createHash('sha256').update('wr-tls').digest('hex');
    for (const file of ['ca.pem', 'cert.pem', 'key.pem'])
      expect(existsSync(path.join(config, 'contexts', 'tls', hash, 'docker', file)), file).toBe(true);
    const result = await probe({ DOCKER_CONFIG: config, DOCKER_CONTEXT: 'wr-tls' });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`engine: ${engine.tcpUrl} (from docker context "wr-tls" (DOCKER_CONTEXT))`);
  });

  it('server-only TLS: a CA-only DOCKER_CERT_PATH reaches a dockerd --tls engine, as the docker CLI does (cert.pem and key.pem missing are dropped)', async () => {
    const serverOnly = await startSecondDockerd({ tls, serverOnlyTls: true });
    const caOnly = path.join(dir, 'ca-only');
    try {
      mkdirSync(caOnly);
      copyFileSync(path.join(tls.clientDir, 'ca.pem'), path.join(caOnly, 'ca.pem'));
      const over = { DOCKER_HOST: serverOnly.tcpUrl, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: caOnly };
      const oracle = await execa('docker', ['info', '--format', '{{.DockerRootDir}}'], {
        env: { ...over, DOCKER_CONFIG: path.join(dir, 'no-docker-config'), DOCKER_CONTEXT: undefined },
        reject: false,
      });
      expect(oracle.exitCode, oracle.stderr).toBe(0);
      expect(oracle.stdout.trim()).toBe(path.join(serverOnly.dir, 'data'));
      const result = await probe(over);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr).toContain(`, root ${oracle.stdout.trim()}`);
      // DOCKER_CERT_PATH alone (no TLS variable) means nothing to docker: plain HTTP, which the TLS engine refuses.
      const plain = await run({ DOCKER_HOST: serverOnly.tcpUrl, DOCKER_CERT_PATH: caOnly });
      expect(plain.exitCode).toBe(125);
      expect(plain.stderr).toContain('the engine speaks TLS but werf-run was not told to');
    } finally {
      await serverOnly.stop();
    }
  }, 180_000);
});
