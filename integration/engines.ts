/**
 * Extra engines a test starts for itself and stops in afterAll: a second
 * dockerd (own data root, unix socket at a non-default path, tcp on
 * 127.0.0.1) and a rootful Podman API service (own storage and registries.conf).
 * The rig's main dockerd is never touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export interface StartedEngine {
  dir: string;
  /** unix:///... */
  socketUrl: string;
  /** tcp://127.0.0.1:PORT (dockerd only). */
  tcpUrl?: string;
  /** Runs the docker CLI against this engine. */
  docker(args: readonly string[]): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }>;
  log(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  child: ChildProcess,
  logFile: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${what} did not answer within ${timeoutMs} ms:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
}

async function stopChild(child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/** Lazily unmounts whatever an engine left mounted under its dir (netns, overlay), deepest first. */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort()
    .reverse();
  for (const point of mounts) await execa('umount', ['-l', point], { reject: false });
}

const dockerAt = (host: string) => (args: readonly string[]) =>
  execa('docker', ['-H', host, ...args], { reject: false, env: { DOCKER_CONFIG: '/nonexistent-werf-run-it' } }).then((r) => ({
    stdout: String(r.stdout),
    stderr: String(r.stderr),
    exitCode: r.exitCode,
  }));

/** A second dockerd beside the rig's, on a unix socket in a temp dir and on tcp://127.0.0.1:PORT. */
export interface TlsFiles {
  /** Server side, for dockerd. */
  caFile: string;
  serverCert: string;
  serverKey: string;
  /** Client side: ca.pem, cert.pem, key.pem as DOCKER_CERT_PATH expects them. */
  clientDir: string;
}

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate (openssl). */
export async function makeTlsFiles(dir: string): Promise<TlsFiles> {
  const clientDir = path.join(dir, 'client');
  const script = [
    'set -e',
    `cd ${dir}`,
    'mkdir -p client',
    'openssl genrsa -out ca-key.pem 2048',
    'openssl req -new -x509 -days 2 -key ca-key.pem -subj /CN=werf-run-test-ca -out ca.pem',
    'openssl genrsa -out server-key.pem 2048',
    'openssl req -new -key server-key.pem -subj /CN=127.0.0.1 -out server.csr',
    "printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext",
    'openssl x509 -req -days 2 -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server-cert.pem -extfile server.ext',
    'openssl genrsa -out client/key.pem 2048',
    'openssl req -new -key client/key.pem -subj /CN=client -out client.csr',
    "printf 'extendedKeyUsage=clientAuth\n' > client.ext",
    'openssl x509 -req -days 2 -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out client/cert.pem -extfile client.ext',
    'cp ca.pem client/ca.pem',
  ].join('\n');
  await execa('sh', ['-c', script]);
  return {
    caFile: path.join(dir, 'ca.pem'),
    serverCert: path.join(dir, 'server-cert.pem'),
    serverKey: path.join(dir, 'server-key.pem'),
    clientDir,
  };
}

export interface SecondDockerdOptions {
  tls?: TlsFiles;
  /** With tls: TLS on tcp without asking clients for a certificate (dockerd --tls, no --tlsverify): server-only TLS. */
  serverOnlyTls?: boolean;
  /** Listen on this unix socket instead of one in the engine's temp dir (e.g. a well-known path under a test HOME). */
  socketPath?: string;
  /** More dockerd flags (e.g. --registry-mirror). */
  extraArgs?: string[];
}

export interface SecondDockerd extends StartedEngine {
  tcpUrl: string;
  /** Stops the daemon (SIGTERM, as a service manager would); its data stays for restartDaemon(). */
  stopDaemon(): Promise<void>;
  /** Kills the daemon (SIGKILL: a crash); its containers keep running under their shims. */
  crashDaemon(): Promise<void>;
  /** Starts the daemon again on the same dirs. */
  restartDaemon(): Promise<void>;
}

export async function startSecondDockerd(options: SecondDockerdOptions = {}): Promise<SecondDockerd> {
  // Short path: unix socket paths are limited to 108 bytes.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wr-d-'));
  const port = await freePort();
  const logFile = path.join(dir, 'dockerd.log');
  const socket = options.socketPath ?? path.join(dir, 'docker.sock');
  const docker = dockerAt(`unix://${socket}`);
  let child: ChildProcess;
  const launch = async (): Promise<void> => {
    child = spawn(
      'dockerd',
      [
        '--data-root',
        path.join(dir, 'data'),
        '--exec-root',
        path.join(dir, 'exec'),
        '--pidfile',
        path.join(dir, 'pid'),
        '-H',
        `unix://${socket}`,
        '-H',
        `tcp://127.0.0.1:${port}`,
        '--bridge=none',
        '--iptables=false',
        ...(options.extraArgs ?? []),
        ...(options.tls && options.serverOnlyTls
          ? [
              '--tls',
              '--tlsverify=false',
              '--tlscacert',
              options.tls.caFile,
              '--tlscert',
              options.tls.serverCert,
              '--tlskey',
              options.tls.serverKey,
            ]
          : []),
        ...(options.tls && !options.serverOnlyTls
          ? ['--tlsverify', '--tlscacert', options.tls.caFile, '--tlscert', options.tls.serverCert, '--tlskey', options.tls.serverKey]
          : []),
      ],
      { stdio: ['ignore', openSync(logFile, 'a'), openSync(logFile, 'a')] },
    );
    await waitUntil(
      'the second dockerd',
      async () => (await docker(['version', '--format', '{{.Server.Version}}'])).exitCode === 0,
      child,
      logFile,
    );
  };
  await launch();
  return {
    dir,
    socketUrl: `unix://${socket}`,
    tcpUrl: `tcp://127.0.0.1:${port}`,
    docker,
    log: () => readFileSync(logFile, 'utf8'),
    stopDaemon: () => stopChild(child),
    async crashDaemon() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
    restartDaemon: launch,
    async stop() {
      // Containers first, so dockerd exits without waiting on them.
      const ids = (await docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await docker(['rm', '-f', ...ids]);
      await stopChild(child);
      // After a crash, dockerd's own containerd may outlive it: stop it by its pid file.
      try {
        const pid = Number(readFileSync(path.join(dir, 'exec', 'containerd', 'containerd.pid'), 'utf8').trim());
        if (pid > 1) process.kill(pid, 'SIGTERM');
      } catch {
        // no pid file, or already gone
      }
      await unmountUnder(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A rootful `podman system service` with its own storage, and 127.0.0.1:5000 as an insecure registry. */
export async function startPodmanService(): Promise<StartedEngine & { env: Record<string, string> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wr-p-'));
  const logFile = path.join(dir, 'podman.log');
  const socket = path.join(dir, 'podman.sock');
  const registries = path.join(dir, 'registries.conf');
  writeFileSync(
    registries,
    ['unqualified-search-registries = []', '', '[[registry]]', 'location = "127.0.0.1:5000"', 'insecure = true', ''].join('\n'),
  );
  const env = { ...process.env, CONTAINERS_REGISTRIES_CONF: registries } as Record<string, string>;
  const globalArgs = [
    '--root',
    path.join(dir, 'storage'),
    '--runroot',
    path.join(dir, 'run'),
    '--tmpdir',
    path.join(dir, 'tmp'),
    '--cgroup-manager=cgroupfs',
    '--events-backend=file',
  ];
  const child = spawn('podman', [...globalArgs, 'system', 'service', '--time=0', `unix://${socket}`], {
    stdio: ['ignore', openSync(logFile, 'a'), openSync(logFile, 'a')],
    env,
  });
  const docker = dockerAt(`unix://${socket}`);
  await waitUntil(
    'podman system service',
    async () => (await docker(['version', '--format', '{{.Server.Version}}'])).exitCode === 0,
    child,
    logFile,
  );
  return {
    dir,
    socketUrl: `unix://${socket}`,
    env,
    docker,
    log: () => readFileSync(logFile, 'utf8'),
    async stop() {
      const ids = (await docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await docker(['rm', '-f', ...ids]);
      await stopChild(child);
      // Podman's overlay storage may leave mounts; unmount them before removing the dir.
      await execa('podman', [...globalArgs, 'system', 'reset', '--force'], { reject: false, env });
      await unmountUnder(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
