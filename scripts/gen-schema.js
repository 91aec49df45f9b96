// Writes what the docs take from the code: werfrun.schema.json and the table
// of keys in docs/configuration.md from the zod schema (src/config/schema.ts),
// and the table of failure signatures in docs/troubleshooting.md from
// src/recover/signatures.ts. Run with `npm run schema` (it builds first).
import { readFileSync, writeFileSync } from 'node:fs';
import { KEYS_DOC, schemaFileText, withKeyTable } from '../dist/config/docs.js';
import { SIGNATURES_DOC, withSignatureTable } from '../dist/recover/docs.js';

const root = new URL('../', import.meta.url);
const rewrite = (name, withTable) => {
  const file = new URL(name, root);
  writeFileSync(file, withTable(readFileSync(file, 'utf8')));
};
writeFileSync(new URL('werfrun.schema.json', root), schemaFileText());
rewrite(KEYS_DOC, withKeyTable);
rewrite(SIGNATURES_DOC, withSignatureTable);
console.log(`wrote werfrun.schema.json, the key table in ${KEYS_DOC} and the failure signatures in ${SIGNATURES_DOC}`);
