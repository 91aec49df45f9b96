/** The exit-code table users read (README) lists every code werf-run itself exits with (src/errors.ts). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES_DOC, withExitCodeTable } from '../src/cli/exit-docs.js';
import { EXIT_CODES } from '../src/errors.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('the exit-code table', () => {
  it('is the one generated from EXIT_CODES (npm run schema)', () => {
    const doc = readFileSync(path.join(root, EXIT_CODES_DOC), 'utf8');
    expect(withExitCodeTable(doc), `${EXIT_CODES_DOC} exit-code table is stale: run npm run schema`).toBe(doc);
  });

  it("has a row for every code werf-run exits with, doctor's 1 included", () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Exit codes'));
    const table = section.slice(0, section.indexOf('\n## ') < 0 ? undefined : section.indexOf('\n## '));
    const rows = new Set([...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1])));
    for (const { code } of Object.values(EXIT_CODES)) expect(rows, `code ${code}`).toContain(code);
    expect(table).toMatch(/^\| 1 \| `werf-run doctor` only/m);
  });
});
