import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KEYS_DOC, generatedMarkers, schemaFileText, withGenerated, withKeyTable, withTrustTable } from '../src/config/docs.js';
import { TRUST_RULES } from '../src/config/trust.js';
import { configKeys } from '../src/config/keys.js';
import { configSchema } from '../src/config/schema.js';
import { loadConfig } from '../src/config/load.js';
import { resolveImageRef } from '../src/plan/image.js';
import { candidateEndpoints } from '../src/engine/candidates.js';
import { discoveryFacts, readDockerSetup } from '../src/host/docker-setup.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (name: string): string => readFileSync(path.join(root, name), 'utf8');

/** Key paths present in a value, in configKeys' notation (`mounts[].source`). */
function pathsIn(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((item) => pathsIn(item, `${prefix}[]`));
  return Object.entries(value).flatMap(([key, child]) => {
    const here = prefix ? `${prefix}.${key}` : key;
    return [here, ...(prefix.endsWith('set') ? [] : pathsIn(child, here))];
  });
}

describe('generated documentation (npm run schema)', () => {
  it('the committed werfrun.schema.json is the one the zod schema generates', () => {
    expect(read('werfrun.schema.json'), 'werfrun.schema.json is stale: run npm run schema').toBe(schemaFileText());
  });

  it(`the key table in ${KEYS_DOC} is the generated one`, () => {
    const doc = read(KEYS_DOC);
    expect(withKeyTable(doc), `${KEYS_DOC} key table is stale: run npm run schema`).toBe(doc);
  });

  it(`the table of grants in ${KEYS_DOC} is the generated one`, () => {
    const doc = read(KEYS_DOC);
    expect(withTrustTable(doc), `${KEYS_DOC} grant table is stale: run npm run schema`).toBe(doc);
  });

  it('every key of the schema has a trust rule, and every rule a key (a new key must be sorted: shapes the run, or grants)', () => {
    expect(Object.keys(TRUST_RULES).sort()).toEqual(
      configKeys()
        .map((k) => k.path)
        .sort(),
    );
  });

  it('the table lists every key, with its variable', () => {
    const doc = read(KEYS_DOC);
    for (const key of configKeys()) {
      expect(doc).toContain(`| \`${key.path}\` |`);
      if (key.envVar) expect(doc).toContain(`\`${key.envVar}\``);
    }
  });
});

describe('withGenerated', () => {
  const { start, end } = generatedMarkers('part');

  it('replaces what is between the markers and keeps the rest', () => {
    expect(withGenerated(`# t\n${start}\nold\nrows\n${end}\nafter\n`, 'part', 'new')).toBe(`# t\n${start}\nnew\n${end}\nafter\n`);
  });

  it.each([
    ['no markers', 'text'],
    ['only the start', `${start}\n`],
    ['the end first', `${end}\n${start}\n`],
    ['the start twice', `${start}\n${end}\n${start}\n`],
  ])('refuses a document with %s', (_what, doc) => {
    expect(() => withGenerated(doc, 'part', 'new')).toThrow(/lacks the markers <!-- part:start/);
  });
});

describe('werfrunrc.example.json', () => {
  const example = JSON.parse(read('werfrunrc.example.json')) as unknown;

  it('is valid against the schema', () => {
    const parsed = configSchema.safeParse(example);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  // Keys that exclude each other (as in the docker CLI: --host or --context;
  // an image version or a full reference): the example sets the first of each pair.
  const EXCLUSIVE: Record<string, string> = { 'engine.context': 'engine.host', 'image.reference': 'image.version' };

  it('sets every key (one of each pair that excludes each other)', () => {
    const present = new Set(pathsIn(example));
    const missing = configKeys()
      .map((k) => k.path)
      .filter((p) => !present.has(p) && !(EXCLUSIVE[p] && present.has(EXCLUSIVE[p])));
    expect(missing).toEqual([]);
    for (const [left, kept] of Object.entries(EXCLUSIVE))
      expect([left, present.has(left), kept, present.has(kept)]).toEqual([left, false, kept, true]);
  });

  it('is usable as it is: loads through the config loader and names a werf image', async () => {
    const { config } = await loadConfig({ cwd: root, stopDir: root, explicitPath: path.join(root, 'werfrunrc.example.json') });
    expect(resolveImageRef(config.image)).toBe('registry.werf.io/werf/werf:2.35.1-alpine');
    const facts = discoveryFacts(readDockerSetup({ HOME: root }, root), config.engine, { HOME: root });
    expect(candidateEndpoints(facts).endpoints[0]?.url).toBe(config.engine.host);
  });
});
