/** Everything the CLI takes from the outside world, injectable for tests. */
import os from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { ciKind, type CiKind } from '../config/ci.js';
import type { Endpoint, Engine } from '../engine/port.js';
import type { SignalSource } from '../run/interrupt.js';

export interface CliContext {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** process.platform, read once in cli/process.ts and passed down (plan/host-path.ts maps paths by it, plan/laptop.ts routes the ssh agent). */
  platform: NodeJS.Platform;
  stdin: Readable & { isTTY?: boolean };
  /**
   * Whether stdin is a terminal, known without touching ctx.stdin (cli/process.ts
   * gives it): Node makes process.stdin on first access, and for a file or
   * /dev/null (CI's usual stdin) that loads fs's streams and promises, readline
   * with them, on a run that never reads stdin. Default: ctx.stdin.isTTY.
   */
  stdinIsTTY?: boolean;
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  version: string;
  openEngine(endpoint: Endpoint): Engine;
  /** Where SIGINT/SIGTERM come from (the process); without it werf-run does not handle signals. */
  signals?: SignalSource;
  /** Exits at once (a third Ctrl-C). */
  exit?(code: number): void;
  /** The caller's home (os.homedir()) and user (os.userInfo()); hostOf() fills what is not given. */
  home?: string;
  user?: { uid: number; username: string };
}

/** Whether stdin is a terminal (see CliContext.stdinIsTTY). */
export function stdinIsTTY(ctx: Pick<CliContext, 'stdin' | 'stdinIsTTY'>): boolean {
  return ctx.stdinIsTTY ?? Boolean(ctx.stdin.isTTY);
}

/** What the floors below cli/ get of the caller's machine, never reading a global themselves. */
export interface HostOfCli {
  env: CliContext['env'];
  home: string;
  platform: NodeJS.Platform;
  user: { uid: number; username: string };
  /** Which CI runs werf-run, from ctx.env (config/ci.ts). */
  ci: CiKind;
}

/** The one place the CLI reads the process's home, platform and user (unless the context gives them). */
export function hostOf(ctx: Pick<CliContext, 'env' | 'home' | 'platform' | 'user'>): HostOfCli {
  return {
    env: ctx.env,
    home: ctx.home ?? os.homedir(),
    platform: ctx.platform,
    // Asked only when used: os.userInfo() throws for a uid with no passwd entry (some containers).
    get user() {
      return ctx.user ?? os.userInfo();
    },
    ci: ciKind(ctx.env),
  };
}
