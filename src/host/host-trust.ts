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
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { werfHomeDir } from '../plan/contract.js';
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

const sha256Of = (content: Buffer): string => createHash('sha256').update(content).digest('hex');

/**
 * Where werf finds the host's bundle in its container: in the werf home
 * volume, named by its content, so a run whose bundle is there already
 * copies nothing (plan/files.ts `kept`), and a changed store is a new file,
 * not a rewrite of the one a running werf reads (two runs that both find it
 * missing both write the same content).
 */
export const hostBundlePath = (home: string, content: Buffer, sha256 = sha256Of(content)): string =>
  path.posix.join(werfHomeDir(home), 'werf-run', `host-ca-${sha256.slice(0, 16)}.crt`);

/** The file handed in: the certificates, one after another. */
const bundleOf = (certs: readonly string[]): Buffer => Buffer.from(`${certs.join('\n')}\n`);

/** The certificates found, de-duplicated, and where (for the note). */
interface CollectedCerts {
  certs: string[];
  used: string[];
  /** Files over MAX_BUNDLE_BYTES, left out (named in the note). */
  tooBig?: string[];
}

/** What is handed in: the bundle (bundleOf(certs)), its sha256, and for the note how many certificates and from where. */
interface Bundle {
  content: Buffer;
  sha256: string;
  count: number;
  used: string[];
  tooBig?: string[];
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * What the trust store depends on, as stat data (device, inode, size, mtime):
 * Go's list of bundle files (or SSL_CERT_FILE) and each SSL_CERT_DIR
 * directory. A directory's mtime moves when a certificate is added, removed
 * or renamed (update-ca-certificates re-links them), and it rewrites the
 * bundle file too, so the bundle's stat catches a CA replaced in place. A
 * file edited in place in SSL_CERT_DIR with no re-link is not seen until the
 * directory changes: the one thing this key misses, for 290 fewer reads a run.
 */
export function trustStoreKey(input: HostTrustInput, stat: (file: string) => string | undefined): string {
  const fileVar = input.env.SSL_CERT_FILE || undefined;
  const dirVar = input.env.SSL_CERT_DIR || undefined;
  const files = fileVar ? [fileVar] : CERT_FILES;
  const dirs = (dirVar ?? '').split(':').filter(Boolean);
  return JSON.stringify({ fileVar, dirVar, files: files.map((f) => stat(f) ?? '-'), dirs: dirs.map((d) => stat(d) ?? '-') });
}

/**
 * Where the last trust store read is kept, and read back when its key still
 * holds: a line of JSON (the key, the note's facts, the bundle's sha256),
 * then the bundle itself, as it is handed in. So a run whose store did not
 * change neither parses ~200 KiB of certificates as JSON nor joins nor hashes
 * them again (that was 4% of a warm run's instructions).
 */
export interface TrustStoreCache {
  stat(file: string): string | undefined;
  load(): Buffer | undefined;
  save(data: Buffer): void;
}

/** The host's CA certificates, as Go reads them here: SSL_CERT_FILE instead of Go's list; SSL_CERT_DIR's files besides. */
function collectCerts(input: HostTrustInput): CollectedCerts {
  // Each file once: the bundle found on Go's list is the one read for its certificates.
  const seen = new Map<string, ReturnType<typeof readLeniently>>();
  const readRaw = input.read ?? readLeniently;
  const read = (file: string): ReturnType<typeof readLeniently> => {
    if (!seen.has(file)) seen.set(file, readRaw(file));
    return seen.get(file);
  };
  const list = input.list ?? listLeniently;
  const fileVar = input.env.SSL_CERT_FILE || undefined;
  const dirVar = input.env.SSL_CERT_DIR || undefined;
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
  const tooBig: string[] = [];
  for (const group of groups) {
    let files = 0;
    for (const source of group.files) {
      const content = read(source);
      if (content && content.length > MAX_BUNDLE_BYTES) tooBig.push(`${source} (${(content.length / 2 ** 20).toFixed(1)} MiB)`);
      if (!content || content.length > MAX_BUNDLE_BYTES) continue;
      const found = content.toString('utf8').match(PEM_CERT) ?? [];
      if (found.length) files++;
      for (const cert of found) certs.add(cert);
    }
    if (files) used.push(group.name === group.files[0] ? group.name : `${group.name} (${files} files)`);
  }
  return { certs: [...certs], used, ...(tooBig.length ? { tooBig } : {}) };
}

function bundleFrom({ certs, used, tooBig }: CollectedCerts): Bundle {
  const content = certs.length ? bundleOf(certs) : Buffer.alloc(0);
  return { content, sha256: sha256Of(content), count: certs.length, used, ...(tooBig ? { tooBig } : {}) };
}

/** The bundle from the store, or the cache's copy when the trust store's stat data is what it was then. */
function collectCached(input: HostTrustInput, cache: TrustStoreCache | undefined): Bundle {
  if (!cache) return bundleFrom(collectCerts(input));
  const key = trustStoreKey(input, cache.stat);
  try {
    const data = cache.load();
    const cut = data ? data.indexOf(0x0a) : -1;
    if (data && cut >= 0) {
      const kept = JSON.parse(data.subarray(0, cut).toString('utf8')) as { key: string } & Omit<Bundle, 'content'>;
      const content = data.subarray(cut + 1);
      if (
        kept.key === key &&
        Array.isArray(kept.used) &&
        Number.isInteger(kept.count) &&
        SHA256_HEX.test(String(kept.sha256)) &&
        kept.count > 0 === content.length > 0
      )
        return {
          content,
          sha256: kept.sha256,
          count: kept.count,
          used: kept.used,
          ...(Array.isArray(kept.tooBig) ? { tooBig: kept.tooBig } : {}),
        };
    }
  } catch {
    // a broken file: read the store again
  }
  // Not there, another store, or an older werf-run's file (all JSON, no line break): read the store.
  const found = bundleFrom(collectCerts(input));
  const { content, ...facts } = found;
  cache.save(Buffer.concat([Buffer.from(`${JSON.stringify({ key, ...facts })}\n`), content]));
  return found;
}

/** The trust store cache as a file in werf-run's cache directory; a file it cannot read or write is only a slower run. */
export function fileTrustStoreCache(dir: string): TrustStoreCache {
  const file = path.join(dir, 'host-trust-store');
  // An older werf-run's file (all JSON): left over once this one is written.
  const older = path.join(dir, 'host-trust-store.json');
  return {
    stat(p) {
      try {
        const s = statSync(p, { bigint: true });
        return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`;
      } catch {
        return undefined;
      }
    },
    load() {
      try {
        return readFileSync(file);
      } catch {
        return undefined;
      }
    },
    save(data) {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, data, { mode: 0o644 });
        renameSync(tmp, file);
        rmSync(older, { force: true });
      } catch {
        // a read-only cache directory: read the store again next time
      }
    },
  };
}

export function hostTrustStore(input: HostTrustInput, cache?: TrustStoreCache): Handover {
  const say = (note: string): Handover => handover({ notes: [`trust store: ${note}`] });
  if (!input.enabled) return say("forward.hostCertificates is false: this machine's CA bundle is not handed to werf");
  if (input.fixedEnv.SSL_CERT_FILE !== undefined)
    return say(`env.set gives werf SSL_CERT_FILE=${input.fixedEnv.SSL_CERT_FILE}: this machine's CA bundle is not handed in`);
  const fileVar = input.env.SSL_CERT_FILE || undefined;
  const dirVar = input.env.SSL_CERT_DIR || undefined;
  if (input.platform !== 'linux' && !fileVar && !dirVar)
    return say(`on ${input.platform} the system trust store is not a file: set SSL_CERT_FILE to a PEM bundle to hand werf your CAs`);
  const { content, sha256, count, used, tooBig } = collectCached(input, cache);
  // Named, not silently dropped: a file that big is not a CA bundle (Debian's is about 200 KiB).
  const skipped = tooBig ? `; left out, over ${MAX_BUNDLE_BYTES / 2 ** 20} MiB (not a CA bundle): ${tooBig.join(', ')}` : '';
  if (count === 0)
    return say(
      fileVar || dirVar
        ? `no PEM certificates in ${[fileVar, dirVar].filter(Boolean).join(' / ')} (SSL_CERT_FILE / SSL_CERT_DIR): nothing handed in${skipped}`
        : `no system CA bundle found here (${CERT_FILES.join(', ')}): werf uses the image's own${skipped}`,
    );
  const target = hostBundlePath(input.home, content, sha256);
  return handover({
    files: [{ path: target, content, mode: 0o644, kept: true }],
    env: { SSL_CERT_FILE: target },
    notes: [
      `trust store: this machine's CA bundle (${used.join(', ')}: ${count} certificates) handed to werf as ${target} (SSL_CERT_FILE; the image's own /etc/ssl/certs is still read)${skipped}`,
    ],
  });
}
