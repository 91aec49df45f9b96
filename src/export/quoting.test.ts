import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { csvField, shellQuote } from '../plan/docker-command.js';
import { literalForActions } from './github-actions.js';

const HOSTILE = ["it's", 'a "b"', '$(touch /tmp/x)', '`id`', 'line1\nrm -rf ~', '${{ secrets.TOKEN }}', 'a,b', 'tab\there', 'back\\slash', ''];

describe('a value in a pasted shell line', () => {
  it.each(HOSTILE)('%j comes back from the shell as it was, one word, nothing run', (value) => {
    const word = shellQuote(value);
    // sh reads the word back: exactly the value (a newline stays inside the quotes).
    const echoed = spawnSync('sh', ['-c', `printf %s ${word}`], { encoding: 'utf8' });
    expect(echoed.stdout).toBe(value);
  });
});

describe('a --mount field (docker reads the value as CSV)', () => {
  it('quotes a field with a comma, a quote or a line break the CSV way', () => {
    expect(csvField('source=/a,b')).toBe('"source=/a,b"');
    expect(csvField('source=/a"b')).toBe('"source=/a""b"');
    expect(csvField('target=/plain')).toBe('target=/plain');
  });
});

describe('a run: block of GitHub Actions', () => {
  it('keeps ${{ }} literal text: Actions evaluates none of it', () => {
    expect(literalForActions('echo ${{ secrets.TOKEN }}')).toBe("echo ${{ '${{' }} secrets.TOKEN }}");
    expect(literalForActions('echo plain')).toBe('echo plain');
  });
});
