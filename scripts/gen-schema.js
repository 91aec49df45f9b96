// Writes werfrun.schema.json and the README's table of keys from the zod
// schema (src/config/schema.ts). Run with `npm run schema` (it builds first).
import { readFileSync, writeFileSync } from 'node:fs';
import { schemaFileText, withKeyTable } from '../dist/config/docs.js';

const root = new URL('../', import.meta.url);
writeFileSync(new URL('werfrun.schema.json', root), schemaFileText());
const readme = new URL('README.md', root);
writeFileSync(readme, withKeyTable(readFileSync(readme, 'utf8')));
console.log('wrote werfrun.schema.json and the key table in README.md');
