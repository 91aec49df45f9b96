/**
 * `werf-run doctor`'s report (pure): one JSON document (its shape is in the
 * README, "doctor") and the same as text for people.
 */
import type { ExportHint } from '../export/ci-hint.js';
import type { Mode } from '../config/schema.js';
import { showFact, type ModeChoice, type Problem } from '../detect/choose.js';
import type { SourceOutcome } from '../detect/detect.js';
import { FACT_KEYS, type Facts } from '../detect/facts.js';
import type { Endpoint, EngineInfo } from '../engine/port.js';

export interface DoctorReport {
  /** A run would get as far as starting werf (doctorOk): doctor exits 0, else 1. */
  ok: boolean;
  engine: (Endpoint & { found: boolean; error?: string }) | { found: false; error: string };
  daemon: Omit<EngineInfo, 'osType' | 'architecture' | 'registry'> | null;
  image: { reference: string | null; available: boolean; error?: string };
  cache: string | null;
  facts: Record<string, { value: unknown; source: string | null; detail: string }>;
  detection: SourceOutcome[];
  mode: Mode | null;
  reasons: string[];
  ruledOut: ModeChoice['ruledOut'];
  problems: Problem[];
  /** The [runners.docker] lines a GitLab runner needs for the chosen mode. */
  gitlabRunner: string | null;
  /** How the project's files reach werf (bind, translate or ship), as a run would decide. */
  projectFiles: string | null;
  /** Inside a CI job container with no engine: the export that gives the runner the settings werf needs. */
  exportHint: ExportHint | null;
  /** werf-run runs in a Pod: the ServiceAccount access werf gets when there is no kubeconfig (host/in-cluster.ts). */
  inCluster: string | null;
  /** What a run hands buildah and werf for registries: the engine's mirrors and insecure registries, certs.d files (or why not), this machine's CA bundle. */
  registries: string[];
}

/** The report before anything was learned: doctor fills it in as it goes. */
export function emptyDoctorReport(): DoctorReport {
  return {
    ok: false,
    engine: { found: false, error: 'not looked for' },
    daemon: null,
    image: { reference: null, available: false },
    cache: null,
    facts: {},
    detection: [],
    mode: null,
    reasons: [],
    ruledOut: {},
    problems: [],
    gitlabRunner: null,
    projectFiles: null,
    exportHint: null,
    inCluster: null,
    registries: [],
  };
}

/**
 * The problems that stop a run before werf starts, whatever mode: no engine,
 * no werf image (not on the engine and not pullable, or pull policy never),
 * project files werf could not see. A host fact's problem (no /dev/fuse)
 * only rules modes out: it stops a run only when no mode is left.
 */
const BLOCKING: readonly Problem['fact'][] = ['engine', 'image', 'project'];

/** doctor's verdict (pure): some mode can work and nothing stops a run before werf starts. */
export function doctorOk(r: Pick<DoctorReport, 'mode' | 'problems'>): boolean {
  return r.mode !== null && !r.problems.some((p) => BLOCKING.includes(p.fact));
}

export function factsJson(facts: Facts): DoctorReport['facts'] {
  const out: DoctorReport['facts'] = {};
  for (const key of FACT_KEYS) out[key] = { value: facts[key].value ?? null, source: facts[key].source ?? null, detail: facts[key].detail };
  return out;
}

/** `text` after `first` (a bullet, a label), its further lines indented under the bullet's text rather than at the bullet's level. */
const hanging = (first: string, text: string): string => `${first}${text.split('\n').join(`\n${' '.repeat(first.length)}`)}`;

const show = (value: unknown): string => (value === null ? 'unknown' : value === -1 ? 'absent' : showFact(value));

export function doctorText(r: DoctorReport): string {
  const lines: string[] = [];
  if ('url' in r.engine) lines.push(`engine: ${r.engine.url} (found via ${r.engine.source})`);
  if (r.engine.error) lines.push(`engine: ${r.engine.error}`);
  if (r.daemon) {
    const d = r.daemon;
    lines.push(
      `daemon: ${d.product} ${d.serverVersion} (API ${d.apiVersion}), ID ${d.id}`,
      `  host: ${d.operatingSystem}, kernel ${d.kernelVersion}, storage ${d.storageDriver}, cgroup v${d.cgroupVersion || '?'}, root ${d.dockerRootDir}`,
      `  security options: ${d.securityOptions.join(' ') || 'none'}`,
    );
  }
  lines.push(
    `image: ${r.image.reference ?? 'none'}${r.image.available ? '' : ` (not available${r.image.error ? `: ${r.image.error}` : ''})`}`,
  );
  if (r.cache) lines.push(`cache: ${r.cache}`);
  lines.push('capabilities (value [how it was learned] evidence):');
  for (const [key, fact] of Object.entries(r.facts))
    lines.push(`  ${key}: ${show(fact.value)} [${fact.source ?? 'unknown'}] ${fact.detail}`);
  if (r.projectFiles) lines.push(r.projectFiles);
  if (r.inCluster) lines.push(r.inCluster);
  if (r.registries.length) lines.push('registries (what a run hands werf and buildah):', ...r.registries.map((n) => hanging('  - ', n)));
  lines.push(`mode: ${r.mode ?? 'none can work'}`);
  for (const reason of r.reasons) lines.push(`  - ${reason}`);
  if (r.problems.length) {
    lines.push('problems:');
    for (const p of r.problems) lines.push(hanging('  - ', p.problem), hanging('    fix: ', p.remedy));
  }
  if (r.exportHint) lines.push(`${r.exportHint.why}.`, `  run: ${r.exportHint.command}`);
  if (r.gitlabRunner)
    lines.push('GitLab runner (docker executor) config.toml for this mode:', ...r.gitlabRunner.split('\n').map((l) => `  ${l}`));
  return `${lines.join('\n')}\n`;
}
