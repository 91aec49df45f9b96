import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { csvField, shellQuote } from '../plan/docker-command.js';
import { literalForActions } from './github-actions.js';
import { commentText } from './comment.js';
import { renderGitlabRunner } from './gitlab-runner.js';
import { specFor } from '../../test/export-fixture.js';

const HOSTILE = [
  "it's",
  'a "b"',
  '$(touch /tmp/x)',
  '`id`',
  'line1\nrm -rf ~',
  '${{ secrets.TOKEN }}',
  'a,b',
  'tab\there',
  'back\\slash',
  '',
];

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

describe('a comment line of an exported TOML or YAML file', () => {
  it('keeps a line break in a value inside the comment', () => {
    expect(commentText('mounts /a\n[runners.docker]\nprivileged = true')).toBe('mounts /a\\n[runners.docker]\\nprivileged = true');
    expect(commentText('plain')).toBe('plain');
  });

  it('the runner TOML header: a hostile project path starts no TOML line', () => {
    const toml = renderGitlabRunner(specFor({ config: { mounts: [{ source: 'sub\nprivileged = true', target: '/t' }] } }));
    expect(toml).toContain('sub\\nprivileged = true');
    expect(toml.split('\n').filter((line) => /^privileged = true/.test(line))).toEqual([]);
  });
});
