/**
 * The last line of a run in which werf ran and failed (pure). werf's own exit
 * code passes through, so without it werf's 125 (a failed push) would read as
 * werf-run's 125 ("failed before werf could run"). Only the command words are
 * named, never werf's options: they may carry secrets.
 */
import type { Mode } from '../config/schema.js';

/** `werf host cleanup` from ["host", "cleanup", "--dry-run"]: the command-like words before anything else. */
export function werfCommandName(werfArgs: readonly string[]): string {
  const words: string[] = [];
  for (const arg of werfArgs) {
    if (!/^[a-z][a-z0-9-]*$/.test(arg) || words.length === 3) break;
    words.push(arg);
  }
  return ['werf', ...words].join(' ');
}

export function werfFailedLine(werfArgs: readonly string[], exitCode: number, mode: Mode): string {
  return `werf-run: ${werfCommandName(werfArgs)} exited with code ${exitCode} in mode ${mode} (werf's own exit code, passed through; werf-run itself did not fail)\n`;
}
