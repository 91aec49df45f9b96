import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { rawTerminal, type TerminalInput, type TerminalOutput } from './tty.js';

function terminal(isRaw = false) {
  const calls: string[] = [];
  const stdin = Object.assign(new PassThrough(), {
    isTTY: true,
    isRaw,
    setRawMode(raw: boolean) {
      calls.push(`raw ${raw}`);
      stdin.isRaw = raw;
    },
  }) as TerminalInput & { isRaw: boolean };
  const stdout = Object.assign(new PassThrough(), { isTTY: true }) as TerminalOutput;
  const newlines = (on: boolean): void => void calls.push(`onlcr ${on}`);
  return { stdin, stdout, newlines, calls };
}

describe('rawTerminal', () => {
  it('clears newline translation after entering raw mode, and leaving raw mode restores it (once)', () => {
    const t = terminal();
    const restore = rawTerminal(t.stdin, t.stdout, t.newlines);
    expect(t.calls).toEqual(['raw true', 'onlcr false']);
    restore();
    restore();
    expect(t.calls).toEqual(['raw true', 'onlcr false', 'raw false']);
  });

  it('a terminal that was raw already stays raw and gets its translation back explicitly', () => {
    const t = terminal(true);
    rawTerminal(t.stdin, t.stdout, t.newlines)();
    expect(t.calls).toEqual(['raw true', 'onlcr false', 'raw true', 'onlcr true']);
  });

  it('does nothing when stdin is not a terminal', () => {
    const t = terminal();
    (t.stdin as { isTTY?: boolean }).isTTY = false;
    rawTerminal(t.stdin, t.stdout, t.newlines)();
    expect(t.calls).toEqual([]);
  });
});
