/**
 * The interactive path (stdin and stdout are terminals): the local terminal
 * goes into raw mode so keys (Ctrl-C included) reach werf's TTY unchanged,
 * stdin is piped to the container, and the terminal's size follows along
 * (at start and on every SIGWINCH). The returned restore() puts the terminal
 * back; it is idempotent and the attempt calls it on every path.
 */
import type { Readable, Writable } from 'node:stream';
import type { Engine } from '../engine/port.js';

export type TerminalInput = Readable & { isTTY?: boolean; isRaw?: boolean; setRawMode?(raw: boolean): unknown };
export type TerminalOutput = Writable & { isTTY?: boolean; rows?: number; columns?: number };

export interface TtySessionInput {
  engine: Pick<Engine, 'resizeContainerTty'>;
  containerId: string;
  stdin: TerminalInput;
  stdout: TerminalOutput;
  /** The container's stdin (the attach stream), when it was opened. */
  input: Writable | undefined;
  onError(error: unknown): void;
}

export function startTtySession(s: TtySessionInput): () => void {
  const wasRaw = Boolean(s.stdin.isRaw);
  if (s.stdin.isTTY && s.stdin.setRawMode) s.stdin.setRawMode(true);
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
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    s.stdout.off('resize', resize);
    s.stdin.off('data', forward);
    s.stdin.pause();
    if (s.stdin.isTTY && s.stdin.setRawMode) s.stdin.setRawMode(wasRaw);
  };
}
