/**
 * The interactive path (stdin and stdout are terminals): the local terminal
 * goes into raw mode, without newline translation, before the container starts
 * (rawTerminal), so keys (Ctrl-C included) reach werf's TTY unchanged and
 * werf's bytes reach the terminal as `docker run -it` passes them; once it
 * runs, stdin is piped to the container and the terminal's size follows along
 * (at start and on every SIGWINCH). Both return an idempotent undo that the
 * attempt calls on every path.
 */
import { spawnSync } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { Engine } from '../engine/port.js';

export type TerminalInput = Readable & { isTTY?: boolean; isRaw?: boolean; setRawMode?(raw: boolean): unknown };
export type TerminalOutput = Writable & { isTTY?: boolean; rows?: number; columns?: number; fd?: number };

/** Turns the local terminal's newline translation (ONLCR: "\n" out as "\r\n") on or off. */
export type NewlineTranslation = (on: boolean) => void;

/**
 * The container's TTY already turns werf's "\n" into "\r\n". Node's raw mode
 * (libuv's UV_TTY_MODE_RAW) keeps ONLCR on the local terminal, which adds a
 * second "\r" ("\r\r\n"); `docker run -it` clears output processing (moby's
 * term.MakeRaw), so werf-run clears ONLCR while werf owns the terminal. Node
 * has no call for output flags: stty, on the terminal stdout writes to.
 */
function sttyNewlines(output: TerminalOutput): NewlineTranslation {
  return (on) => {
    if (process.platform === 'win32' || typeof output.fd !== 'number') return;
    spawnSync('stty', [on ? 'onlcr' : '-onlcr'], { stdio: [output.fd, 'ignore', 'ignore'] });
  };
}

/**
 * Puts the local terminal into raw mode without newline translation; call it
 * before the container starts (werf may print at once). Returns restore().
 */
export function rawTerminal(stdin: TerminalInput, stdout: TerminalOutput, newlines: NewlineTranslation = sttyNewlines(stdout)): () => void {
  if (!stdin.isTTY || !stdin.setRawMode) return () => undefined;
  const wasRaw = Boolean(stdin.isRaw);
  stdin.setRawMode(true);
  if (stdout.isTTY) newlines(false);
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    // Leaving raw mode restores the terminal's saved flags, ONLCR included; staying raw does not.
    stdin.setRawMode?.(wasRaw);
    if (wasRaw && stdout.isTTY) newlines(true);
  };
}

export interface TtySessionInput {
  engine: Pick<Engine, 'resizeContainerTty'>;
  containerId: string;
  stdin: TerminalInput;
  stdout: TerminalOutput;
  /** The container's stdin (the attach stream), when it was opened. */
  input: Writable | undefined;
  onError(error: unknown): void;
}

/** Once the container runs: its TTY follows the terminal's size, and stdin goes to it. Returns stop(). */
export function startTtySession(s: TtySessionInput): () => void {
  const resize = (): void => {
    const { rows, columns } = s.stdout;
    if (rows && columns) s.engine.resizeContainerTty(s.containerId, { rows, columns }).catch(s.onError);
  };
  resize();
  s.stdout.on('resize', resize);
  const forward = (chunk: Buffer): void => {
    s.input?.write(chunk);
  };
  if (s.input) {
    s.stdin.on('data', forward);
    s.stdin.resume();
  }
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    s.stdout.off('resize', resize);
    s.stdin.off('data', forward);
    s.stdin.pause();
  };
}
