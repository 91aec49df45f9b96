/**
 * The ordered list of what werf-run reads on the caller's machine for werf,
 * each as a Handover (host/handover.ts). A later reader's variable wins, and
 * a reader sees werf's arguments as the ones before it left them.
 * To hand werf one more thing from the host: write its reader (a function of
 * HostInput, no globals) and add one line to HOST_READERS.
 */
import type { Config } from '../config/schema.js';
import type { ImageUser } from '../plan/contract.js';
import type { LaptopProduct } from '../plan/laptop.js';
import { proxyEnv, type ProxyConfig } from '../plan/proxies.js';
import { dockerConfigVars, kubeconfigVars, werfPathVars, type EnvTranslation } from '../plan/werf-in-container.js';
import { readBytes, readIfExists } from '../files.js';
import type { DockerSetup } from './docker-setup.js';
import { handover, readHost, type Handover, type HostReader } from './handover.js';
import { forwardHostFiles, imageIds, knownHostsFiles, probeFile } from './host-files.js';
import { inClusterForWerf } from './in-cluster.js';
import { kubeAccessForWerf } from './kube-access.js';
import { registryEnvironment } from './registry-env.js';
import { fileTrustStoreCache, hostTrustStore } from './host-trust.js';
import { cacheDir } from '../detect/cache.js';
import { registryAuthsForWerf } from './registry-auths.js';
import { globalSecretKey, helmState } from './home-state.js';
import { outputDirs } from './output-paths.js';
import { inputFiles } from './input-paths.js';
import { statSync } from 'node:fs';

export interface HostInput {
  /** The caller's environment, whole. */
  env: Readonly<Record<string, string | undefined>>;
  /** The caller's environment less werf-run's own variables (what werf could be given). */
  hostEnv: Readonly<Record<string, string | undefined>>;
  /** The caller's home directory on this machine. */
  hostHome: string;
  cwd: string;
  /** This machine's platform (the CLI context's). */
  platform: string;
  /** The project's root on this machine (output paths outside it are mounted). */
  projectRoot: string;
  werfArgs: readonly string[];
  /** Programs may run on this host for werf (a kubeconfig's exec plugin): false for --dry-run. */
  mayRun: boolean;
  /** Whether werf-run's stdin is a terminal (an interactive exec plugin may prompt there); asked only for such a plugin (cli/context.ts stdinIsTTY says why). */
  terminal(): boolean;
  now: Date;
  /** Where a Pod's ServiceAccount token is (/var/run/secrets/kubernetes.io/serviceaccount). */
  serviceAccountDir: string;
  /** The Docker daemon's per-registry certificates (/etc/docker/certs.d), read for a local engine. */
  dockerCertsDir: string;
  config: Config;
  /** The werf image reference. */
  image: string;
  /** The image user werf runs as. */
  user: ImageUser;
  dockerSetup: DockerSetup;
  engine: {
    /** The engine's host is this machine (a local socket): a socket here can be bind-mounted. */
    local: boolean;
    url: string | undefined;
    /** The docker CLI's name for the engine's endpoint (proxies are keyed by it). */
    dockerHost: string;
    /** The desktop product running the engine in a VM (plan/laptop.ts): how the ssh agent gets in. */
    product?: LaptopProduct;
    /** /info RegistryConfig: mirrors and insecure registries. */
    registry?: { mirrors: string[]; insecure: string[] };
  };
}

const fromTranslation = (t: EnvTranslation): Handover => handover({ env: t.set, dropEnv: t.drop, notes: t.notes });

/** ~/.ssh/known_hosts, so git over ssh can check host keys (with the ssh agent forwarded). */
const knownHosts: HostReader<HostInput> = (input) => {
  if (!input.config.forward.sshAgent) return handover();
  const found = knownHostsFiles({ hostHome: input.hostHome, home: input.user.home, read: readIfExists });
  return handover(found);
};

/** Registry credentials: helpers run here, werf gets plain auths (never written to this host's disk). */
const registryAuths: HostReader<HostInput> = async (input) => {
  if (!input.config.forward.dockerConfig) return fromTranslation(dockerConfigVars(input.hostEnv, undefined));
  const auths = await registryAuthsForWerf({
    setup: input.dockerSetup,
    env: input.env,
    werfArgs: input.werfArgs,
    cwd: input.cwd,
    image: input.image,
    home: input.user.home,
  });
  const vars = dockerConfigVars(input.hostEnv, auths.file ? auths.dir : undefined);
  return handover({ files: auths.file ? [auths.file] : [], env: vars.set, dropEnv: vars.drop, notes: [...auths.notes, ...vars.notes] });
};

/** The kubeconfig werf would read here, flattened and handed in; werf's --kube-config names it. */
const kubeconfig: HostReader<HostInput> = async (input) => {
  if (!input.config.forward.kubeConfig) return fromTranslation(kubeconfigVars(input.hostEnv, undefined));
  const kube = await kubeAccessForWerf({
    env: input.env,
    hostHome: input.hostHome,
    werfArgs: input.werfArgs,
    home: input.user.home,
    cwd: input.cwd,
    mayRun: input.mayRun,
    terminal: input.terminal,
    now: input.now,
  });
  const vars = kubeconfigVars(input.hostEnv, kube.file?.path);
  return handover({
    files: kube.file ? [kube.file] : [],
    env: vars.set,
    dropEnv: vars.drop,
    werfArgs: kube.werfArgs,
    loopback: kube.targets,
    notes: [...kube.notes, ...vars.notes],
    warnings: kube.warnings,
  });
};

/** In a Pod with no kubeconfig: the Pod's ServiceAccount, as client-go's in-cluster config would use it (host/in-cluster.ts). */
const inCluster: HostReader<HostInput> = async (input) => {
  if (!input.config.forward.kubeConfig) return handover();
  const found = await inClusterForWerf({
    env: input.env,
    hostHome: input.hostHome,
    werfArgs: input.werfArgs,
    cwd: input.cwd,
    home: input.user.home,
    serviceAccountDir: input.serviceAccountDir,
    now: input.now,
  });
  return handover({ files: found.file ? [found.file] : [], notes: found.notes, warnings: found.warnings, loopback: found.targets ?? [] });
};

/** The engine's mirrors, insecure registries and CA files, for buildah (host/registry-env.ts). */
const registries: HostReader<HostInput> = (input) =>
  handover(
    registryEnvironment({
      registry: input.engine.registry,
      engineLocal: input.engine.local,
      certsDir: input.dockerCertsDir,
      home: input.user.home,
    }),
  );

/** This machine's system CA bundle, for werf and buildah (host/host-trust.ts). */
const trustStore: HostReader<HostInput> = (input) =>
  hostTrustStore(
    {
      env: input.env,
      platform: input.platform,
      enabled: input.config.forward.hostCertificates,
      fixedEnv: input.config.env.set,
      home: input.user.home,
    },
    // Read once per change of the store (its stat data), not 290 files a run.
    fileTrustStoreCache(cacheDir(input.env, input.hostHome)),
  );

/** WERF_HOME and WERF_TMP_DIR name host paths: werf uses the werf-run volumes instead. */
const werfPaths: HostReader<HostInput> = (input) => fromTranslation(werfPathVars(input.hostEnv));

/** The ssh agent and the files named by WERF_SSH_KEY* and friends (host/host-files.ts). */
const forwardedFiles: HostReader<HostInput> = (input) => {
  const forwarded = forwardHostFiles({
    env: input.env,
    hostHome: input.hostHome,
    forward: input.config.forward,
    image: { home: input.user.home, ...imageIds(input.user.user) },
    probe: probeFile,
    readBytes,
    engineLocal: input.engine.local,
    engineUrl: input.engine.url,
    product: input.engine.product,
    platform: input.platform,
  });
  return handover({
    files: forwarded.files,
    mounts: forwarded.sockets,
    env: forwarded.extraEnv,
    dropEnv: forwarded.drop,
    notes: forwarded.notes,
    warnings: forwarded.warnings,
  });
};

/** Proxies from the environment and the docker CLI's `proxies` (which the Engine API does not apply). */
const proxies: HostReader<HostInput> = (input) => {
  const found = proxyEnv({
    env: input.env,
    proxies: (input.dockerSetup.config.proxies ?? {}) as Record<string, ProxyConfig>,
    engineHost: input.engine.dockerHost,
    fixed: input.config.env.set,
    configFile: input.dockerSetup.configFile,
  });
  return handover({ env: found.set, notes: found.notes });
};

/** werf's global secret key and helm's state (host/home-state.ts). */
const homeState: HostReader<HostInput> = (input) => {
  const state = { env: input.env, hostHome: input.hostHome, home: input.user.home, read: readIfExists };
  const key = globalSecretKey(state);
  const helm = helmState(state);
  return handover({ files: key.files, env: helm.env, dropEnv: helm.dropEnv, notes: [...key.notes, ...helm.notes] });
};

/** Output files werf writes outside the project (--build-report-path, --output, ...): their dir, mounted writable. */
const outputs: HostReader<HostInput> = (input) =>
  outputDirs({
    werfArgs: input.werfArgs,
    env: input.hostEnv,
    cwd: input.cwd,
    projectRoot: input.projectRoot,
    engineLocal: input.engine.local,
    isDir: (d) => statSync(d, { throwIfNoEntry: false })?.isDirectory() ?? false,
  });

/** Input files werf reads outside the project (--values, --secret-values, --set-file, --ssh-key, ...): handed in (host/input-paths.ts). */
const inputs: HostReader<HostInput> = (input) =>
  inputFiles({
    werfArgs: input.werfArgs,
    env: input.hostEnv,
    cwd: input.cwd,
    projectRoot: input.projectRoot,
    home: input.user.home,
    read: readIfExists,
  });

/** In order: a later reader's variable wins (proxies over translations, the forwarded files' over both). */
const HOST_READERS: readonly HostReader<HostInput>[] = [
  knownHosts,
  registryAuths,
  registries,
  trustStore,
  kubeconfig,
  inCluster,
  werfPaths,
  homeState,
  outputs,
  inputs,
  proxies,
  forwardedFiles,
];

/** Everything werf gets from this machine, merged. */
export const readHostForWerf = (input: HostInput): Promise<Handover> => readHost(HOST_READERS, input);
