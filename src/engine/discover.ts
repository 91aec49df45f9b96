/**
 * Connecting to the Docker Engine: the candidates from candidates.ts are asked
 * in order (a ping with a short timeout); the first that answers wins. When
 * none does, one message lists every candidate, where it came from and why it
 * failed, and the fix for the reasons seen.
 */
import { UsageError, WerfRunError, errorMessage } from '../errors.js';
import { candidateEndpoints, explicitName, type DiscoveryFacts, type Strategy } from './candidates.js';
import type { Endpoint, Engine } from './port.js';
import { SshError } from './ssh-endpoint.js';

export interface ConnectInput {
  facts: DiscoveryFacts;
  timeoutMs: number;
  strategies?: readonly Strategy[];
}

type FailureKind = 'missing' | 'refused' | 'denied' | 'timeout' | 'unresolved' | 'tls' | 'ssh' | 'setup' | 'other';

export interface CandidateFailure {
  endpoint: Endpoint;
  kind: FailureKind;
  reason: string;
  /** A fix of this failure's own (ssh failures know theirs), used instead of the kind's. */
  remedy?: string;
}

/** The first errno-style code in an error's cause chain. */
function codeOf(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code) return code;
  }
  return undefined;
}

/** The SshError (ssh-endpoint.ts) in an error's cause chain: it carries its own remedy. */
function sshErrorOf(error: unknown): { message: string; remedy: string } | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof SshError) return e;
  }
  return undefined;
}

/** Why a candidate did not answer, in words and as a kind for the remedy (pure). */
export function explainFailure(error: unknown, timeoutMs: number): Pick<CandidateFailure, 'kind' | 'reason' | 'remedy'> {
  const ssh = sshErrorOf(error);
  if (ssh) return { kind: 'ssh', reason: ssh.message, remedy: ssh.remedy };
  const code = codeOf(error);
  const message = errorMessage(error);
  switch (code) {
    case 'ENOENT':
      return { kind: 'missing', reason: 'no such socket (ENOENT): no engine runs there' };
    case 'ECONNREFUSED':
      return { kind: 'refused', reason: 'connection refused (ECONNREFUSED): nothing listens there, the daemon is stopped' };
    case 'EACCES':
    case 'EPERM':
      return { kind: 'denied', reason: `permission denied (${code}): this user may not open the socket` };
    case 'ETIMEDOUT':
    case 'ABORT_ERR':
      return { kind: 'timeout', reason: `no answer within ${timeoutMs} ms` };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { kind: 'unresolved', reason: `the host name does not resolve (${code})` };
    case 'ECONNRESET':
    case 'EPIPE':
      return { kind: 'other', reason: `the connection was closed (${code}): is it a Docker API endpoint, and does it expect TLS?` };
  }
  if (/HTTP request to an HTTPS server/i.test(message)) {
    return {
      kind: 'tls',
      reason:
        'the engine speaks TLS but werf-run was not told to (set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH, or use a context with TLS)',
    };
  }
  if (code && /CERT|SSL|TLS|SELF_SIGNED/i.test(code)) return { kind: 'tls', reason: `TLS failed (${code}): ${message}` };
  if (/no answer within/.test(message)) return { kind: 'timeout', reason: message };
  if (!message)
    return {
      kind: 'other',
      reason: code
        ? `the connection failed (${code})`
        : `the connection failed without a reason (${error instanceof Error ? error.name : typeof error})`,
    };
  return { kind: 'other', reason: code ? `${message} (${code})` : message };
}

const REMEDIES: Record<FailureKind, string> = {
  missing: 'start the Docker daemon (dockerd, Docker Desktop, colima start, or podman system service)',
  refused: "start the daemon that should listen there, or check the endpoint's host and port",
  denied: 'join the docker group (sudo usermod -aG docker $USER, then log in again) or use a socket this user may open',
  timeout: 'check that the engine host is up and reachable, or raise engine.timeoutMs',
  unresolved: 'fix the host name in the endpoint',
  ssh: 'fix the ssh connection as said above',
  tls: "check the TLS certificates (DOCKER_CERT_PATH, or the context's TLS files) and DOCKER_TLS_VERIFY",
  setup: 'fix the endpoint or its TLS files named above',
  other: 'check that the endpoint is a Docker Engine API (docker -H <endpoint> version)',
};

/**
 * The fix of one candidate's failure (pure): its own, else its kind's. Only a
 * unix socket can be a file left over from a stopped daemon; a refused tcp://
 * endpoint has no such file.
 */
export function failureRemedy(failure: Pick<CandidateFailure, 'endpoint' | 'kind' | 'remedy'>): string {
  if (failure.remedy) return failure.remedy;
  if (failure.kind === 'refused' && failure.endpoint.url.startsWith('unix:')) {
    return 'start the daemon that should listen there (a unix socket file without a daemon is left over from a stopped one)';
  }
  return REMEDIES[failure.kind];
}

/** The strategy as the user would name it: `--host` rather than engine.host when the flag set it. */
function chosenBy(strategy: Strategy, facts: Pick<DiscoveryFacts, 'explicitFrom'>): string {
  return strategy.name === 'engine.host' || strategy.name === 'engine.context' ? explicitName(facts, strategy.name) : strategy.name;
}

function remedyFor(failures: readonly CandidateFailure[], explicit: Strategy | undefined, label: string): string {
  const fixes = [...new Set(failures.map(failureRemedy))];
  if (explicit) {
    const choice =
      explicit.name === 'currentContext'
        ? 'switch context (docker context use default)'
        : explicit.name === 'engine.host' || explicit.name === 'engine.context'
          ? `change or remove ${label}`
          : `unset ${explicit.name} to use the default socket`;
    fixes.push(`or ${choice}`);
  } else {
    fixes.push('or point DOCKER_HOST (or a docker context) at a running engine');
  }
  return fixes.join('; ');
}

export async function connect(input: ConnectInput, open: (endpoint: Endpoint) => Engine): Promise<Engine> {
  const { endpoints, strategy } = candidateEndpoints(input.facts, input.strategies);
  const failures: CandidateFailure[] = [];
  for (const endpoint of endpoints) {
    let engine: Engine;
    try {
      engine = open(endpoint);
    } catch (error) {
      // A value no engine could have (not a URL): the user's input, said at once (exit 2).
      if (error instanceof UsageError) throw error;
      // Not a connection failure: the endpoint's TLS files are unusable.
      failures.push({ endpoint, kind: 'setup', reason: errorMessage(error) });
      continue;
    }
    try {
      await engine.ping(input.timeoutMs);
      return engine;
    } catch (error) {
      failures.push({ endpoint, ...explainFailure(error, input.timeoutMs) });
    }
  }
  const label = chosenBy(strategy, input.facts);
  throw new WerfRunError(unreachableMessage(failures, strategy, label, input.facts.platform ?? process.platform), {
    remedy: remedyFor(failures, strategy.explicit ? strategy : undefined, label),
  });
}

/** The one message for "no engine answered" (pure). */
const PLATFORM_NAMES: Partial<Record<NodeJS.Platform, string>> = { win32: 'Windows', darwin: 'macOS', linux: 'Linux' };

function unreachableMessage(failures: readonly CandidateFailure[], strategy: Strategy, label: string, platform: NodeJS.Platform): string {
  const lines = failures.map((f) => `  - ${f.endpoint.url} (from ${f.endpoint.source}): ${f.reason}`);
  if (strategy.explicit) {
    return (
      `no Docker Engine answered at the endpoint chosen by ${label}:\n${lines.join('\n')}\n` +
      `  ${label} is an explicit choice, so werf-run (like the docker CLI) tries no other engine.`
    );
  }
  return `no Docker Engine answered; nothing chose one (no --host/--context, DOCKER_HOST, DOCKER_CONTEXT or current docker context), so werf-run tried the well-known sockets of ${PLATFORM_NAMES[platform] ?? platform}:\n${lines.join('\n')}`;
}
