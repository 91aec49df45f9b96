/**
 * The README's table of exit codes, generated from EXIT_CODES (src/errors.ts)
 * by `npm run schema` (scripts/gen-schema.js); test/exit-codes.test.ts fails
 * when the committed copy is stale. `--help` lists the same meanings (args.ts).
 */
import { tableCell, withGenerated } from '../config/docs.js';
import { EXIT_CODES } from '../errors.js';

/** Where the table lives, relative to the repository root. */
export const EXIT_CODES_DOC = 'README.md';

/** The first row: werf's own code, which passes through whenever werf ran. */
const WERF_OWN =
  "werf ran: its exit code is passed through unchanged, and a failing run ends with one stderr line naming werf's command, its code and the mode (0 on success; 128+n when werf was killed by signal n from outside werf-run, with a warning saying so)";

/** The markdown table: werf's own code first, then every code of EXIT_CODES in order. */
function exitCodeTable(): string {
  const rows = [["werf's own", WERF_OWN], ...Object.values(EXIT_CODES).map(({ code, meaning }) => [String(code), meaning])];
  return ['| code | meaning |', '|---|---|', ...rows.map((cells) => `| ${cells.map(tableCell).join(' | ')} |`)].join('\n');
}

/** `doc` (README.md) with the generated exit-code table between its markers. */
export function withExitCodeTable(doc: string, table: string = exitCodeTable()): string {
  return withGenerated(doc, 'exit-codes', table);
}
