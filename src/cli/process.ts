/** Wires the real process into the CLI: streams, env, the dockerode adapter. */
import { readFileSync } from 'node:fs';
import { isatty } from 'node:tty';
import { DockerodeEngine } from '../engine/dockerode.js';
import { ExitCode } from '../errors.js';
import { main } from './main.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export async function runProcess(): Promise<void> {
  // A reader that goes away (`| head`) must not crash werf-run: demux drops that
  // sink and werf's exit code still passes through.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  // process.stdin is made on first use only (cli/context.ts stdinIsTTY says why).
  let stdin: typeof process.stdin | undefined;
  // Whatever happens, never leave the user's terminal in raw mode.
  process.on('exit', () => {
    if (stdin?.isTTY && stdin.isRaw) stdin.setRawMode(false);
  });
  const code = await main({
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.cwd(),
    platform: process.platform,
    get stdin() {
      return (stdin ??= process.stdin);
    },
    get stdinIsTTY() {
      return isatty(0);
    },
    stdout: process.stdout,
    stderr: process.stderr,
    version: pkg.version,
    openEngine: (endpoint) => new DockerodeEngine(endpoint),
    signals: process,
    exit: (exitCode) => process.exit(exitCode),
  });
  process.exitCode = code;
  // After an interruption, requests abandoned mid-way (a pull, a create) must not keep the process alive.
  if (code === ExitCode.interrupted || code === ExitCode.terminated) {
    await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
    process.exit(code);
  }
}
