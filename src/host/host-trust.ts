/**
 * This machine's system trust store for werf: a corporate CA that the host
 * trusts (installed with update-ca-certificates / update-ca-trust, or named by
 * SSL_CERT_FILE / SSL_CERT_DIR) is unknown to the werf image's own bundle, so
 * werf's registry calls and buildah's base-image pulls fail on x509 where
 * `docker pull` here works.
 *
 * How it is handed over: the certificates of the host's bundle, as one PEM
 * file written into the container (archive API), and SSL_CERT_FILE naming it.
 * werf, buildah (embedded in werf) and helm are Go: crypto/x509's
 * loadSystemRoots (golang/go src/crypto/x509/root_unix.go) reads the file
 * SSL_CERT_FILE names instead of the first of its certFiles
 * (root_linux.go), and still reads every file in its certDirectories
 * (/etc/ssl/certs, /etc/pki/tls/certs) unless SSL_CERT_DIR is set, which
 * werf-run does not set. So the image's own CAs stay trusted (its
 * /etc/ssl/certs) and the host's are added. containers/image builds its
 * pool from that system pool plus certs.d (pkg/tlsclientconfig), so the
 * daemon's certs.d files (host/registry-env.ts) still add to it.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { readIfExists } from '../files.js';
import { handover, type Handover } from './handover.js';

/** Go's certFiles for Linux (golang/go src/crypto/x509/root_linux.go), in its order: the first that exists is the system bundle. */
const CERT_FILES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian/Ubuntu/Gentoo etc.
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora/RHEL 6
  '/etc/ssl/ca-bundle.pem', // OpenSUSE
  '/etc/pki/tls/cacert.pem', // OpenELEC
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', // CentOS/RHEL 7
  '/etc/ssl/cert.pem', // Alpine Linux
];

/** A bundle bigger than this is not a CA bundle (Debian's is about 200 KiB). */
const MAX_BUNDLE_BYTES = 8 << 20;

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export interface HostTrustInput {
  env: Readonly<Record<string, string | undefined>>;
  /** This machine's platform: the trust store is a file only on Linux (macOS and Windows keep it in the keychain / the registry). */
  platform: string;
  /** config forward.hostCertificates. */
  enabled: boolean;
  /** Variables the user set for werf (config env.set): their SSL_CERT_FILE wins. */
  fixedEnv: Readonly<Record<string, string>>;
  /** The image user's home: where the bundle goes. */
  home: string;
  /** Reads a file here; undefined when it cannot (default: the file system, a file it cannot read skipped). */
  read?(file: string): Buffer | undefined;
  list?(dir: string): string[];
}

/** A CA bundle is an addition, never a reason to stop: a file that cannot be read (a subdirectory, no permission) is skipped. */
function readLeniently(file: string): Buffer | undefined {
  try {
    return readIfExists(file);
  } catch {
    return undefined;
  }
}
function listLeniently(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Where werf finds the host's bundle in its container. */
export const hostBundlePath = (home: string): string => path.posix.join(home, '.config', 'werf-run', 'host-ca-certificates.crt');

export function hostTrustStore(input: HostTrustInput): Handover {
  // Each file once: the bundle found on Go's list is the one read for its certificates.
  const seen = new Map<string, ReturnType<typeof readLeniently>>();
  const readRaw = input.read ?? readLeniently;
  const read = (file: string): ReturnType<typeof readLeniently> => {
    if (!seen.has(file)) seen.set(file, readRaw(file));
    return seen.get(file);
  };
  const list = input.list ?? listLeniently;
  const say = (note: string): Handover => handover({ notes: [`trust store: ${note}`] });
  if (!input.enabled) return say("forward.hostCertificates is false: this machine's CA bundle is not handed to werf");
  if (input.fixedEnv.SSL_CERT_FILE !== undefined)
    return say(`env.set gives werf SSL_CERT_FILE=${input.fixedEnv.SSL_CERT_FILE}: this machine's CA bundle is not handed in`);
  const fileVar = input.env.SSL_CERT_FILE || undefined;
  const dirVar = input.env.SSL_CERT_DIR || undefined;
  if (input.platform !== 'linux' && !fileVar && !dirVar)
    return say(`on ${input.platform} the system trust store is not a file: set SSL_CERT_FILE to a PEM bundle to hand werf your CAs`);
  // As Go reads them here: SSL_CERT_FILE instead of the list; SSL_CERT_DIR's files besides.
  const file = fileVar ?? CERT_FILES.find((f) => read(f) !== undefined);
  const groups = [
    ...(file ? [{ name: file, files: [file] }] : []),
    ...(dirVar ?? '')
      .split(':')
      .filter(Boolean)
      .map((dir) => ({ name: dir, files: list(dir).map((n) => path.join(dir, n)) })),
  ];
  const certs = new Set<string>();
  const used: string[] = [];
  for (const group of groups) {
    let files = 0;
    for (const source of group.files) {
      const content = read(source);
      if (!content || content.length > MAX_BUNDLE_BYTES) continue;
      const found = content.toString('utf8').match(PEM_CERT) ?? [];
      if (found.length) files++;
      for (const cert of found) certs.add(cert);
    }
    if (files) used.push(group.name === group.files[0] ? group.name : `${group.name} (${files} files)`);
  }
  if (certs.size === 0)
    return say(
      fileVar || dirVar
        ? `no PEM certificates in ${[fileVar, dirVar].filter(Boolean).join(' / ')} (SSL_CERT_FILE / SSL_CERT_DIR): nothing handed in`
        : `no system CA bundle found here (${CERT_FILES.join(', ')}): werf uses the image's own`,
    );
  const target = hostBundlePath(input.home);
  return handover({
    files: [{ path: target, content: Buffer.from(`${[...certs].join('\n')}\n`), mode: 0o644 }],
    env: { SSL_CERT_FILE: target },
    notes: [
      `trust store: this machine's CA bundle (${used.join(', ')}: ${certs.size} certificates) handed to werf as ${target} (SSL_CERT_FILE; the image's own /etc/ssl/certs is still read)`,
    ],
  });
}
