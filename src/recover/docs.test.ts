import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { patternTexts, SIGNATURES_DOC, signatureTable, withSignatureTable } from './docs.js';
import { SIGNATURES } from './signatures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const doc = (): string => readFileSync(path.join(root, SIGNATURES_DOC), 'utf8');

describe(`the failure signatures in ${SIGNATURES_DOC}`, () => {
  it('are the generated table (npm run schema)', () => {
    expect(withSignatureTable(doc()), `${SIGNATURES_DOC} is stale: run npm run schema`).toBe(doc());
  });

  it.each(SIGNATURES.map((s) => [s.id, s] as const))('list %s with its cause and remedy', (_id, signature) => {
    const row = doc()
      .split('\n')
      .find((line) => line.startsWith(`| \`${signature.id}\` |`));
    expect(row).toBeDefined();
    expect(row).toContain(signature.cause.replace(/\|/g, '\\|'));
    expect(row).toContain(signature.remedy.replace(/\|/g, '\\|'));
  });
});

describe('patternTexts', () => {
  it.each([
    [/unshare\(CLONE_NEWUSER\): Operation not permitted/, ['unshare(CLONE_NEWUSER): Operation not permitted']],
    [/in \/proc\/sys\/kernel/, ['in /proc/sys/kernel']],
    [/first one|second, 'quoted'/, ['first one', "second, 'quoted'"]],
    [/requested \d+:\d+/, ['/requested \\d+:\\d+/']],
    [/a (b|c)/, ['/a (b|c)/']],
    [/any.*thing/, ['/any.*thing/']],
  ])('%s reads as %j', (pattern, texts) => {
    expect(patternTexts(pattern)).toEqual(texts);
  });

  it('every pattern in the catalogue matches each text it is shown as, when shown as text', () => {
    for (const signature of SIGNATURES) {
      for (const text of patternTexts(signature.pattern)) {
        if (!text.startsWith('/')) expect(signature.pattern.test(text), `${signature.id}: ${text}`).toBe(true);
      }
    }
  });
});

describe('signatureTable', () => {
  it('escapes a | in a cell', () => {
    const table = signatureTable([{ id: 'mount-denied', pattern: /a|b/, cause: 'x | y', remedy: 'r' }]);
    expect(table.split('\n')[2]).toBe('| `mount-denied` | `a` or `b` | x \\| y | r |');
  });
});
