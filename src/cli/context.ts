/** Everything the CLI takes from the outside world, injectable for tests. */
import type { Readable, Writable } from 'node:stream';
import type { Endpoint, Engine } from '../engine/port.js';
import type { SignalSource } from '../run/interrupt.js';

export interface CliContext {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** process.platform, read once in cli/process.ts and passed down (plan/host-path.ts maps paths by it, plan/laptop.ts routes the ssh agent). */
  platform: NodeJS.Platform;
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  version: string;
  openEngine(endpoint: Endpoint): Engine;
  /** Where SIGINT/SIGTERM come from (the process); without it werf-run does not handle signals. */
  signals?: SignalSource;
  /** Exits at once (a third Ctrl-C). */
  exit?(code: number): void;
}
