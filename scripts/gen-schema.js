// Writes what the docs take from the code: werfrun.schema.json and the table
// of keys in docs/configuration.md from the zod schema (src/config/schema.ts),
// and the table of failure signatures in docs/troubleshooting.md from
// src/recover/signatures.ts, the README's exit codes from src/errors.ts
// (src/cli/exit-docs.ts), and the floors of src/ in docs/architecture.md
// from scripts/layers.js. Run with `npm run schema` (it builds first).
import { readFileSync, writeFileSync } from 'node:fs';
import { KEYS_DOC, schemaFileText, withGenerated, withKeyTable, withTrustTable } from '../dist/config/docs.js';
import { EXIT_CODES_DOC, withExitCodeTable } from '../dist/cli/exit-docs.js';
import { SIGNATURES_DOC, withSignatureTable } from '../dist/recover/docs.js';
import { floorsMarkdown } from './layers.js';

const root = new URL('../', import.meta.url);
const rewrite = (name, withTable) => {
  const file = new URL(name, root);
  writeFileSync(file, withTable(readFileSync(file, 'utf8')));
};
writeFileSync(new URL('werfrun.schema.json', root), schemaFileText());
rewrite(KEYS_DOC, (doc) => withTrustTable(withKeyTable(doc)));
rewrite(SIGNATURES_DOC, withSignatureTable);
rewrite(EXIT_CODES_DOC, withExitCodeTable);
rewrite('docs/architecture.md', (doc) => withGenerated(doc, 'floors', floorsMarkdown()));
console.log(
  `wrote werfrun.schema.json, the key and grant tables in ${KEYS_DOC}, the failure signatures in ${SIGNATURES_DOC}, the exit codes in ${EXIT_CODES_DOC} and the floors in docs/architecture.md`,
);
