/**
 * Cross-architecture builds (pure): werf's --platform (cmd/werf/common/cmd_data.go
 * SetupPlatform: the flag, else WERF_PLATFORM, else DOCKER_DEFAULT_PLATFORM)
 * against the Docker host's architecture and its binfmt_misc handlers. A RUN
 * step for another architecture needs a handler (qemu) registered in the
 * host's kernel; without one it dies with `exec format error`.
 */
import { UsageError } from '../errors.js';

type Env = Readonly<Record<string, string | undefined>>;

/** As werf's own CI registers them (.github/workflows/_test_e2e_regular.yml); werf-run never does it (it needs --privileged on the host). */
export const BINFMT_REMEDY =
  "register QEMU binfmt_misc handlers on the Docker host (root there; werf-run does not do it): docker run --rm --privileged multiarch/qemu-user-static --reset -p yes (or apt-get install qemu-user-static binfmt-support on the host); or build only for the host's own architecture";

/** The platforms werf will build for (os/arch[/variant]). */
export function requestedPlatforms(werfArgs: readonly string[], env: Env): string[] {
  const flags: string[] = [];
  for (let i = 0; i < werfArgs.length; i++) {
    const arg = werfArgs[i]!;
    if (arg === '--') break;
    if (arg === '--platform' && werfArgs[i + 1] !== undefined) flags.push(werfArgs[++i]!);
    else if (arg.startsWith('--platform=')) flags.push(arg.slice('--platform='.length));
  }
  const values = flags.length ? flags : [env.WERF_PLATFORM || env.DOCKER_DEFAULT_PLATFORM || ''].filter(Boolean);
  return values
    .flatMap((v) => v.split(','))
    .map((p) => p.trim())
    .filter(Boolean);
}

/** Go's GOARCH for /info's Architecture (uname -m). */
const GOARCH: Record<string, string> = {
  x86_64: 'amd64',
  aarch64: 'arm64',
  armv7l: 'arm',
  i686: '386',
  i386: '386',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
};
/** binfmt_misc handler names (qemu-user-static's) per GOARCH. */
const QEMU: Record<string, string> = {
  amd64: 'x86_64',
  arm64: 'aarch64',
  arm: 'arm',
  '386': 'i386',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  mips64le: 'mips64el',
};

/** What is known of the daemon's host running other architectures' programs. */
export interface ArchEvidence {
  /** The probe's test programs per GOARCH, run in a container on the daemon's host (detect/arch-test.ts). */
  programs?: Readonly<Record<string, { runs: boolean; detail: string }>>;
  /** Enabled binfmt_misc handler names, where they could be read: the probe's view (rare: containers do not get the mount), or this machine's for a local engine. */
  handlers?: readonly string[];
}

/**
 * Stops (exit 2) before werf when a platform's architecture is not the host's
 * and the host cannot run it: the probe's test program for it did not run
 * while the host's own did, or, without that, no enabled handler for it is
 * among `handlers`. Returns the platforms nothing could decide.
 */
export function checkPlatforms(platforms: readonly string[], hostArchitecture: string, evidence: ArchEvidence): string[] {
  const host = GOARCH[hostArchitecture] ?? hostArchitecture;
  const undecided: string[] = [];
  for (const platform of platforms) {
    const arch = platform.split('/')[1] ?? '';
    if (!arch || arch === host || (arch === '386' && host === 'amd64')) continue;
    const qemu = QEMU[arch] ?? arch;
    const program = evidence.programs?.[arch];
    // The host's own program is the control: when it did not run either (a noexec /tmp, an odd image), the test says nothing.
    if (program && evidence.programs?.[host]?.runs) {
      if (program.runs) continue;
      throw new UsageError(
        `--platform ${platform}: the Docker host is ${host} and runs no ${arch} program in a container (the probe's ${arch} test program: ${program.detail}): its kernel has no binfmt_misc handler for ${arch} registered with the F flag (qemu-${qemu}), so every RUN step would fail with "exec format error"`,
        BINFMT_REMEDY,
      );
    }
    if (!evidence.handlers) {
      undecided.push(platform);
      continue;
    }
    if (evidence.handlers.some((h) => h === `qemu-${qemu}` || h.endsWith(`-${qemu}`) || h === qemu)) continue;
    throw new UsageError(
      `--platform ${platform}: the Docker host is ${host} and its kernel has no binfmt_misc handler for ${arch} (no qemu-${qemu} in /proc/sys/fs/binfmt_misc), so every RUN step would fail with "exec format error"`,
      BINFMT_REMEDY,
    );
  }
  return undecided;
}
