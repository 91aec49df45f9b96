/**
 * Choosing the mode from the facts (pure): the least-privileged mode the facts
 * allow, with the reasons (each fact and what it ruled out), and for every
 * problem the host-side remedy. `default` (the engine's default security) is
 * never chosen: werf cannot create user namespaces under the default seccomp profile.
 */
import type { Config, Mode } from '../config/schema.js';
import { UsageError, WerfRunError } from '../errors.js';
import type { Binfmt, Facts, FactKey } from './facts.js';
import { describeAdaptation, describeIdRange, idAdaptation, idRangeRemedy } from './id-range.js';
import type { EngineProduct } from '../engine/port.js';

/** What the remedies may name about the daemon (both optional: the text says less without them). */
export interface DaemonContext {
  product?: EngineProduct;
  /** The user that runs a rootless daemon, when werf-run can tell (its socket under /run/user/<uid> of this user). */
  daemonUser?: string;
}

export interface Problem {
  /** The fact that shows the problem ('engine', 'image' and 'project' for doctor's own checks). */
  fact: FactKey | 'engine' | 'image' | 'project';
  problem: string;
  remedy: string;
}

export interface ModeChoice {
  /** undefined: no mode can work with these facts. */
  mode: Mode | undefined;
  /** Each fact considered and what it ruled in or out. */
  reasons: string[];
  /** Why each mode auto passed over, when it did. */
  ruledOut: Partial<Record<Mode, string>>;
  problems: Problem[];
}

const how = (facts: Facts, key: FactKey): string => {
  const fact = facts[key];
  return fact.value === undefined ? `${key} unknown` : `${key}=${showFact(fact.value)} (${fact.source}: ${fact.detail})`;
};

/** A fact's value in one word or number (idRange: enough / too small; its numbers are in the detail). */
export function showFact(value: unknown): string {
  if (value !== null && typeof value === 'object' && 'enough' in value) return value.enough ? 'enough' : 'too small';
  if (value !== null && typeof value === 'object' && 'programs' in value) {
    // binfmt: the architectures whose test programs ran ("amd64, no arm64").
    const programs = Object.entries((value as Binfmt).programs);
    return programs.length ? programs.map(([arch, p]) => `${p.runs ? '' : 'no '}${arch}`).join(', ') : 'not tested';
  }
  return String(value);
}

export const REMEDIES = {
  apparmorRestrict:
    'on the Docker host (Ubuntu 23.10+): sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 kernel.apparmor_restrict_unprivileged_unconfined=0 (persist in /etc/sysctl.d/)',
  maxUserNamespaces: 'on the Docker host: sysctl -w user.max_user_namespaces=15000 (persist in /etc/sysctl.d/)',
  usernsClone: 'on the Docker host: sysctl -w kernel.unprivileged_userns_clone=1 (persist in /etc/sysctl.d/)',
  userns:
    'run the werf container with seccomp and AppArmor unconfined (GitLab runner config.toml: security_opt = ["seccomp:unconfined", "apparmor:unconfined"]); where that is not enough, allow the privileged mode (allowPrivileged / --allow-privileged; GitLab: privileged = true)',
  fuseMissing: 'on the Docker host: modprobe fuse (and make it load at boot: echo fuse > /etc/modules-load.d/fuse.conf)',
  fusePermission:
    'on the Docker host: chmod 0666 /dev/fuse (the usual udev default; persist with a udev rule: KERNEL=="fuse", MODE="0666")',
} as const;

/** Host problems the facts show, each with its remedy (pure). */
function hostProblems(facts: Facts, daemon: DaemonContext = {}): Problem[] {
  const problems: Problem[] = [];
  const ids = facts.idRange.value;
  if (ids && !ids.enough) {
    const adapted = idAdaptation(ids);
    problems.push({
      fact: 'idRange',
      problem: adapted
        ? `${describeAdaptation(adapted, ids)}; for the image's own range: ${describeIdRange(ids)}`
        : `the daemon gives containers too few uids/gids for the image's user ${ids.user}: ${describeIdRange(ids)}`,
      remedy: idRangeRemedy(ids, daemon.product, daemon.daemonUser),
    });
  }
  if (facts.apparmorRestrictUserns.value === 1) {
    problems.push({
      fact: 'apparmorRestrictUserns',
      problem: 'AppArmor restricts unprivileged user namespaces',
      remedy: REMEDIES.apparmorRestrict,
    });
  }
  if (facts.maxUserNamespaces.value === 0) {
    problems.push({
      fact: 'maxUserNamespaces',
      problem: 'user namespaces are disabled (max_user_namespaces = 0)',
      remedy: REMEDIES.maxUserNamespaces,
    });
  }
  if (facts.unprivilegedUsernsClone.value === 0) {
    problems.push({ fact: 'unprivilegedUsernsClone', problem: 'unprivileged user namespaces are disabled', remedy: REMEDIES.usernsClone });
  }
  if (facts.userNamespaces.value === false && problems.length === 0) {
    problems.push({
      fact: 'userNamespaces',
      problem: 'uid 1000 cannot create a user namespace in an unconfined container',
      remedy: REMEDIES.userns,
    });
  }
  if (facts.fuseDevice.value === 'missing') {
    problems.push({ fact: 'fuseDevice', problem: 'the Docker host has no /dev/fuse', remedy: REMEDIES.fuseMissing });
  }
  if (facts.fuseDevice.value === 'no-permission') {
    problems.push({
      fact: 'fuseDevice',
      problem: "uid 1000 cannot open the Docker host's /dev/fuse (mode 0600?)",
      remedy: REMEDIES.fusePermission,
    });
  }
  return problems;
}

/** A forced privileged mode needs the user's permission: never privileged without it. */
export function assertPrivilegedAllowed(config: Pick<Config, 'mode' | 'allowPrivileged'>): void {
  if (config.mode === 'privileged' && !config.allowPrivileged) {
    throw new UsageError(
      'mode "privileged" is forced but the privileged mode is not allowed',
      'also pass --allow-privileged (or set allowPrivileged: true) to allow it',
    );
  }
}

/** The choices made before the facts are weighed: too few ids (no mode works), or a mode forced by the user. */
function settledBeforeFacts(
  facts: Facts,
  config: Pick<Config, 'mode' | 'allowPrivileged'>,
  problems: ModeChoice['problems'],
): ModeChoice | undefined {
  // Too few ids binds every mode, privileged included, forced or not: stop
  // before werf starts, unless a fitting /etc/subuid can be handed in (idAdaptation).
  const adapted = idAdaptation(facts.idRange.value);
  if (facts.idRange.value?.enough === false && !adapted) {
    if (config.mode === 'privileged') assertPrivilegedAllowed(config);
    const why = `the container's user namespace lacks ids the image's user needs (${how(facts, 'idRange')})`;
    return {
      mode: undefined,
      reasons: [`${why}: rules out native, fuse, privileged`],
      ruledOut: { native: why, fuse: why, privileged: why },
      problems,
    };
  }
  if (config.mode !== 'auto') {
    assertPrivilegedAllowed(config);
    return {
      mode: config.mode,
      reasons: [`mode ${config.mode} forced by config or --mode: kept for the whole run, no recovery to another mode`],
      ruledOut: {},
      problems,
    };
  }
  return undefined;
}

export function chooseMode(
  facts: Facts,
  config: Pick<Config, 'mode' | 'allowPrivileged'>,
  remembered?: Mode,
  daemon: DaemonContext = {},
): ModeChoice {
  const problems = hostProblems(facts, daemon);
  const settled = settledBeforeFacts(facts, config, problems);
  if (settled) return settled;
  const adapted = idAdaptation(facts.idRange.value);
  const reasons: string[] = [];
  const ruledOut: ModeChoice['ruledOut'] = {};
  const out = (modes: Mode[], why: string): void => {
    for (const m of modes) ruledOut[m] ??= why;
    reasons.push(`${why}: rules out ${modes.join(', ')}`);
  };

  // A user-namespace limit of the kernel binds every container, privileged or not.
  const limits: FactKey[] = ['apparmorRestrictUserns', 'maxUserNamespaces', 'unprivilegedUsernsClone'];
  const kernelLimit = limits.find((key) => problems.some((p) => p.fact === key));
  if (kernelLimit && facts.rootlessOverlay.value !== true) {
    out(['native', 'fuse', 'privileged'], `a kernel limit on user namespaces (${how(facts, kernelLimit)})`);
  }
  if (facts.userNamespaces.value === false)
    out(['native', 'fuse'], `no user namespace under the native settings (${how(facts, 'userNamespaces')})`);
  else if (facts.rootlessOverlay.value === false)
    out(['native'], `no rootless overlayfs, buildah needs fuse-overlayfs (${how(facts, 'rootlessOverlay')})`);
  else if (facts.rootlessOverlay.value === true)
    reasons.push(`rootless overlayfs works: native is enough (${how(facts, 'rootlessOverlay')})`);
  else reasons.push(`rootless overlayfs unknown (${facts.rootlessOverlay.detail}): trying native, recovery climbs if it fails`);

  // Without rootless overlay, fuse-overlayfs is needed in fuse and privileged mode alike.
  const needsFuse = facts.rootlessOverlay.value === false && facts.userNamespaces.value !== false;
  if (facts.fuseDevice.value === 'missing' || facts.fuseDevice.value === 'no-permission') {
    out(needsFuse ? ['fuse', 'privileged'] : ['fuse'], `/dev/fuse is not usable (${how(facts, 'fuseDevice')})`);
  }
  if (!config.allowPrivileged) out(['privileged'], 'the privileged mode is not allowed (allowPrivileged)');
  if (facts.selinux.value) reasons.push('SELinux is enforced by the daemon: adding label=disable');
  if (facts.usernsRemap.value) reasons.push('the daemon uses userns-remap: privileged would add --userns=host');

  if (adapted) reasons.push(`too few ids for the image's own /etc/subuid range: handing in one that fits (${how(facts, 'idRange')})`);

  const candidates = (['native', 'fuse', 'privileged'] as const).filter((m) => ruledOut[m] === undefined);
  if (remembered && remembered !== 'default' && candidates.includes(remembered)) {
    reasons.push(`mode ${remembered} worked last time on this daemon with this image and storage volume (cache)`);
    return { mode: remembered, reasons, ruledOut, problems };
  }
  const mode = candidates[0];
  reasons.push(mode ? `chose ${mode}, the least privileged mode left` : 'no mode is left');
  return { mode, reasons, ruledOut, problems };
}

/** The mode to start with, or the error that no mode can work, with every remedy the facts give. */
export function requireMode(choice: ModeChoice): Mode {
  if (choice.mode !== undefined) return choice.mode;
  throw new WerfRunError(`no mode can work on this Docker host: ${choice.reasons.join('; ')}`, {
    remedy: choice.problems.map((p) => p.remedy).join('; ') || 'run werf-run doctor for details',
  });
}
