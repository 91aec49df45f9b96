/**
 * The probe container's settings, its script and the parser of its output
 * (pure; run/probe.ts runs it). The container runs a few seconds in the
 * selected werf image, as the image's user, with the native settings (seccomp
 * and AppArmor unconfined), no network, a tmpfs, and /dev/fuse; it is
 * labelled like the werf container (werf-run.managed=true, werf-run.role=probe).
 * The script needs only a POSIX sh; each test says "unknown" with the reason when
 * a tool it needs is missing from the image, rather than guessing.
 */
import type { ContainerSpec, UlimitSpec } from '../engine/port.js';
import { ARCH_TEST_EXIT, TESTED_ARCHITECTURES, archTestProgram, printfOctal } from './arch-test.js';
import type { Binfmt, BinfmtHandler, Findings, FuseState } from './facts.js';
import { describeIdRange, idRange, parseIdMap, parseSubRanges, type IdMapEntry, type SubRange } from './id-range.js';

/** Where the probe container mounts its tmpfs (overlay cannot be tested on the overlay root). */
const PROBE_TMPFS = '/werf-run-probe';

/** The binfmt_misc mount point (kernel Documentation/admin-guide/binfmt-misc.rst). */
const BINFMT_DIR = '/proc/sys/fs/binfmt_misc';

/**
 * Cross-architecture (detect/arch-test.ts): each test program is written into
 * the container's own root (the tmpfs is noexec) and run; its exit code says
 * whether it ran. A shell that meets ENOEXEC may run the file as a script
 * (dash, busybox sh): that ends with another code, and only printable
 * characters of its message are kept.
 */
const ARCH_SCRIPT = `
if have printf && have chmod && have mktemp; then
  d=$(mktemp -d 2>/dev/null)
  if [ -n "$d" ]; then
${TESTED_ARCHITECTURES.map(
  (a) => `    printf '${printfOctal(archTestProgram(a)!)}' > "$d/${a}" && chmod 755 "$d/${a}"
    out=$("$d/${a}" 2>&1); rc=$?
    if [ "$rc" = ${ARCH_TEST_EXIT} ]; then echo "arch ${a} runs its test program exited ${ARCH_TEST_EXIT}"
    else echo "arch ${a} fails exit $rc: $(echo "$out" | oneline | tr -cd '\\040-\\176')"; fi`,
).join('\n')}
    rm -rf "$d"
  else echo "arch unknown mktemp -d failed"; fi
else echo "arch unknown the image lacks printf, chmod or mktemp"; fi
if [ -r ${BINFMT_DIR}/status ]; then
  echo "binfmt status $(cat ${BINFMT_DIR}/status)"
  for e in ${BINFMT_DIR}/*; do
    n=\${e##*/}
    case $n in register|status) continue ;; esac
    echo "binfmt handler $n $(head -n1 "$e") $(sed -n 's/^interpreter //p' "$e") flags=$(sed -n 's/^flags: *//p' "$e")"
  done
else echo "binfmt unmounted ${BINFMT_DIR} is not mounted in the container"; fi
`;

/**
 * The probe. The tests that start processes of their own run in two jobs
 * beside the rest: the user-namespace tests (one after the other: with a low
 * max_user_namespaces two at once could fail where one passes) and the test
 * programs. In a row they were some 30 processes one after another, most of
 * the probe container's run time. Each job prints its file (a few lines, one
 * write) as soon as it is done, so a job that hangs until the probe is killed
 * loses only its own lines. The parser reads lines by their first word, not
 * by their order. Where the tmpfs cannot take the files, they run in a row.
 */
function probeScript(scratch: string): string {
  return `
${scratch}
have() { command -v "$1" >/dev/null 2>&1; }
oneline() { tr '\\n' ' ' | cut -c1-300; }
echo "werf-run-probe 1"
probe_userns() {
if have unshare; then
  if out=$(unshare -Ur true 2>&1); then echo "userns yes unshare -Ur: ok"; else echo "userns no unshare -Ur: $(echo "$out" | oneline)"; fi
else echo "userns unknown the image has no unshare"; fi
}
probe_overlay() {
if [ -z "$t" ]; then echo "overlay unknown no tmpfs to test on (/dev/shm is not a tmpfs in this container)"
elif have unshare && have mount && have mkdir; then
  if out=$(unshare -Urm sh -c "mkdir -p $t/l $t/u $t/w $t/m && mount -t overlay overlay -o lowerdir=$t/l,upperdir=$t/u,workdir=$t/w $t/m" 2>&1); then
    echo "overlay yes mount -t overlay on a tmpfs in a user namespace: ok"
  else echo "overlay no mount -t overlay on a tmpfs in a user namespace: $(echo "$out" | oneline)"; fi
else echo "overlay unknown the image lacks unshare, mount or mkdir"; fi
}
probe_arch() {
${ARCH_SCRIPT}
}
o=\${t:+$t/out}
[ -n "$o" ] && mkdir -p "$o" 2>/dev/null || o=
probe_namespaces() { probe_userns; probe_overlay; }
side() { if [ -n "$o" ]; then { "$1" > "$o/$1"; cat "$o/$1"; } & else "$1"; fi; }
side probe_namespaces; side probe_arch
for f in /proc/sys/user/max_user_namespaces /proc/sys/kernel/apparmor_restrict_unprivileged_userns /proc/sys/kernel/unprivileged_userns_clone; do
  if [ -r "$f" ]; then echo "sysctl $f $(cat "$f")"; else echo "sysctl $f absent"; fi
done
if [ -e /dev/fuse ]; then
  if (exec 3<>/dev/fuse) 2>/dev/null; then echo "fuse usable uid $(id -u) opened /dev/fuse"
  else echo "fuse no-permission uid $(id -u) cannot open /dev/fuse: $(ls -l /dev/fuse 2>&1 | oneline)"; fi
else echo "fuse absent /dev/fuse is not in the container"; fi
u=$(id -un 2>/dev/null || echo '?'); i=$(id -u); g=$(id -g)
echo "ids $u $i $g"
for m in /proc/self/uid_map /proc/self/gid_map; do
  if [ -r $m ]; then echo "idmap $m $(tr -s ' \n' '  ' < $m)"; else echo "idmap $m unreadable"; fi
done
for f in /etc/subuid /etc/subgid; do
  if [ -r $f ]; then echo "sub $f $(grep -E "^($u|$i):" $f | cut -d: -f2,3 | tr '\n' ' ')"; else echo "sub $f absent"; fi
done
wait
`;
}

/** The probe container's script: its own tmpfs is the scratch dir. */
const PROBE_SCRIPT = probeScript(`t=${PROBE_TMPFS}`);

/**
 * The probe as it runs in werf's own first container (recover/fold-probe.ts):
 * no tmpfs of its own there, so the overlay test uses /dev/shm, the tmpfs every
 * container with its own IPC namespace has (moby daemon/container_operations_unix.go
 * setupIpcDirs); where that is not a tmpfs the test says unknown rather than no.
 * Its scratch dir is removed before werf starts.
 */
export const FOLDED_PROBE_SCRIPT = `${probeScript(
  `if grep -qs '^[^ ]* /dev/shm tmpfs ' /proc/self/mounts && mkdir -p /dev/shm/werf-run-probe 2>/dev/null; then t=/dev/shm/werf-run-probe; else t=; fi`,
)}[ -n "$t" ] && rm -rf "$t" 2>/dev/null
`;

const SYSCTLS: Record<string, 'maxUserNamespaces' | 'apparmorRestrictUserns' | 'unprivilegedUsernsClone'> = {
  '/proc/sys/user/max_user_namespaces': 'maxUserNamespaces',
  '/proc/sys/kernel/apparmor_restrict_unprivileged_userns': 'apparmorRestrictUserns',
  '/proc/sys/kernel/unprivileged_userns_clone': 'unprivilegedUsernsClone',
};

export interface ProbeParse {
  findings: Findings;
  /** Facts the probe could not learn, with why. */
  unknown: Partial<Record<'userNamespaces' | 'rootlessOverlay' | 'fuseDevice' | 'idRange' | 'binfmt', string>>;
}

/** Who the probe ran as, its id maps and the image's /etc/subuid and /etc/subgid ranges. */
interface ProbeIds {
  user?: string;
  uid?: number;
  gid?: number;
  maps: Record<string, IdMapEntry[] | undefined>;
  subs: Record<string, SubRange[]>;
}

/** The id range fact from what the probe reported of its ids, or why it is unknown. */
function idRangeFinding(ids: ProbeIds, findings: Findings, unknown: ProbeParse['unknown']): void {
  const uidMap = ids.maps.uid;
  const gidMap = ids.maps.gid;
  if (ids.user !== undefined && ids.uid !== undefined && ids.gid !== undefined && uidMap && gidMap) {
    const range = idRange(
      ids.user,
      { own: ids.uid, map: uidMap, sub: ids.subs.subuid ?? [] },
      { own: ids.gid, map: gidMap, sub: ids.subs.subgid ?? [] },
    );
    findings.idRange = { value: range, detail: describeIdRange(range) };
  } else {
    unknown.idRange = 'the probe did not report its id maps (/proc/self/uid_map, gid_map) and user';
  }
}

/** Reads the probe's output; lines it does not know are ignored. */
export function parseProbeOutput(text: string): ProbeParse {
  const findings: Findings = {};
  const unknown: ProbeParse['unknown'] = {};
  if (!/^werf-run-probe 1$/m.test(text)) {
    const why = `the probe script did not run: ${text.trim().slice(0, 300) || 'no output'}`;
    return { findings, unknown: { userNamespaces: why, rootlessOverlay: why, fuseDevice: why, idRange: why, binfmt: why } };
  }
  const binfmt = parseBinfmt(text);
  if ('value' in binfmt) findings.binfmt = binfmt;
  else unknown.binfmt = binfmt.unknown;
  const ids: ProbeIds = { maps: {}, subs: {} };
  for (const line of text.split(/\r?\n/)) {
    const who = /^ids (\S+) (\d+) (\d+)$/.exec(line);
    if (who) {
      Object.assign(ids, { user: who[1], uid: Number(who[2]), gid: Number(who[3]) });
      continue;
    }
    const map = /^idmap \/proc\/self\/(uid|gid)_map (.*)$/.exec(line);
    if (map) {
      ids.maps[map[1]!] = parseIdMap(map[2]!);
      continue;
    }
    const sub = /^sub \/etc\/(subuid|subgid) ?(.*)$/.exec(line);
    if (sub) {
      ids.subs[sub[1]!] = sub[2] === 'absent' ? [] : parseSubRanges(sub[2]!);
      continue;
    }
    const sysctl = /^sysctl (\S+) (\S+)$/.exec(line);
    if (sysctl) {
      const key = SYSCTLS[sysctl[1]!];
      if (!key) continue;
      const raw = sysctl[2]!;
      if (raw === 'absent') findings[key] = { value: -1, detail: `${sysctl[1]} does not exist` };
      else if (/^\d+$/.test(raw)) findings[key] = { value: Number(raw), detail: `${sysctl[1]} = ${raw}` };
      continue;
    }
    const test = /^(userns|overlay|fuse) (\S+) ?(.*)$/.exec(line);
    if (!test) continue;
    const [, name, verdict, detail = ''] = test as unknown as [string, string, string, string];
    if (name === 'fuse') {
      if (verdict === 'usable' || verdict === 'no-permission') findings.fuseDevice = { value: verdict as FuseState, detail };
      else unknown.fuseDevice = detail;
      continue;
    }
    const key = name === 'userns' ? 'userNamespaces' : 'rootlessOverlay';
    if (verdict === 'yes' || verdict === 'no') findings[key] = { value: verdict === 'yes', detail };
    else unknown[key] = detail;
  }
  idRangeFinding(ids, findings, unknown);
  return { findings, unknown };
}

/** The probe's `arch` and `binfmt` lines (see ARCH_SCRIPT). */
function parseBinfmt(text: string): { value: Binfmt; detail: string } | { unknown: string } {
  const programs: Binfmt['programs'] = {};
  let handlers: BinfmtHandler[] | undefined;
  let why: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const arch = /^arch (?:unknown (.*)|(\S+) (runs|fails) ?(.*))$/.exec(line);
    if (arch) {
      if (arch[1] !== undefined) why = arch[1];
      else programs[arch[2]!] = { runs: arch[3] === 'runs', detail: (arch[4] ?? '').trim() };
      continue;
    }
    const status = /^binfmt status /.exec(line);
    if (status) handlers ??= [];
    const entry = /^binfmt handler (\S+) (enabled|disabled) (\S*) ?flags=(\S*)$/.exec(line);
    if (entry) (handlers ??= []).push({ name: entry[1]!, enabled: entry[2] === 'enabled', interpreter: entry[3]!, flags: entry[4]! });
  }
  if (!Object.keys(programs).length && why === undefined)
    return { unknown: 'the probe did not report its cross-architecture test (an older probe)' };
  const value: Binfmt = { programs, ...(handlers ? { handlers } : {}) };
  return { value, detail: describeBinfmt(value, why) };
}

/** One line of evidence: which test programs ran, and the handlers when the container could see them. */
function describeBinfmt(value: Binfmt, why?: string): string {
  const programs = Object.entries(value.programs).map(([arch, p]) => `${arch} ${p.runs ? 'runs' : `does not run (${p.detail})`}`);
  const tested = programs.length ? `test programs: ${programs.join('; ')}` : `no test program ran: ${why ?? 'none reported'}`;
  const seen = value.handlers
    ? `${BINFMT_DIR}: ${value.handlers.map((h) => `${h.name} ${h.enabled ? 'enabled' : 'disabled'}${h.flags ? ` flags ${h.flags}` : ''}`).join(', ') || 'no handlers'}`
    : `${BINFMT_DIR} is not mounted in a container`;
  return `${tested}; ${seen}`;
}

/** What a probe learned, and why it failed when the engine was in the way. */
export type ProbeOutcome = ProbeParse & { error?: string };

export interface ProbeTarget {
  image: string;
  /** The user werf runs as (the image contract's). */
  user: string;
  labels: Record<string, string>;
  /** The engine's quirks apply to the probe as to werf's container (Podman's ulimits). */
  ulimits?: UlimitSpec[];
  /**
   * 'host' when the user gave werf's container the host network (config `network: host`): the probe then
   * gets no more than werf will, and skips the network namespace `none` makes, which is most of a
   * container start on Docker 20.10 (`docker run --rm --network none` vs `--network host` of busybox
   * true, same minute: 1.5-2.2 s vs 0.9-1.3 s on a busy 2-CPU machine). Otherwise `none`.
   */
  network?: 'host';
}

const PROBE_ROLE_LABEL = 'werf-run.role';

export function probeSpec(target: ProbeTarget, withFuse: boolean): ContainerSpec {
  return {
    image: target.image,
    cmd: ['sh', '-c', PROBE_SCRIPT],
    env: [],
    user: target.user,
    labels: { ...target.labels, [PROBE_ROLE_LABEL]: 'probe' },
    tty: false,
    openStdin: false,
    mounts: [{ type: 'tmpfs', source: '', target: PROBE_TMPFS, readOnly: false }],
    securityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
    devices: withFuse ? ['/dev/fuse'] : [],
    privileged: false,
    networkMode: target.network === 'host' ? 'host' : 'none',
    ulimits: target.ulimits,
  };
}
