/**
 * The table of failure signatures in docs/troubleshooting.md, generated from
 * signatures.ts by `npm run schema` (scripts/gen-schema.js); a unit test fails
 * when the committed copy is stale.
 */
import { tableCell, withGenerated } from '../config/docs.js';
import { SIGNATURES, type Signature } from './signatures.js';

/** Where the table lives, relative to the repository root. */
export const SIGNATURES_DOC = 'docs/troubleshooting.md';

const META = new Set('.*+?^$()[]{}');

/**
 * The texts a pattern matches, for people: each top-level alternative with its
 * escapes removed. A pattern that is more than literal text with alternatives
 * (classes, repeats, groups) is shown as the regular expression itself.
 */
export function patternTexts(pattern: RegExp): string[] {
  const texts: string[] = [];
  let text = '';
  const src = pattern.source;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (ch === '\\') {
      const next = src[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return [`/${src}/`];
      text += next;
      i++;
    } else if (ch === '|') {
      texts.push(text);
      text = '';
    } else if (META.has(ch)) {
      return [`/${src}/`];
    } else {
      text += ch;
    }
  }
  return [...texts, text];
}

const code = (text: string): string => `\`${text}\``;

/** The markdown table: what werf's output (or the engine) says, the cause, and the remedy. */
export function signatureTable(signatures: readonly Signature[] = SIGNATURES): string {
  const rows = signatures.map((s) =>
    [code(s.id), patternTexts(s.pattern).map(code).join(' or '), s.cause, s.remedy].map(tableCell).join(' | '),
  );
  return ['| id | the output says | cause | remedy |', '|---|---|---|---|', ...rows.map((r) => `| ${r} |`)].join('\n');
}

/** `doc` (docs/troubleshooting.md) with the generated table between its markers. */
export function withSignatureTable(doc: string, table: string = signatureTable()): string {
  return withGenerated(doc, 'failure-signatures', table);
}
