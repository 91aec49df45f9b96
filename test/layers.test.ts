import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript (eslint.config.js imports it too), typed by its JSDoc only
import { FLOORS, allowedFor, floorsMarkdown } from '../scripts/layers.js';
import { withGenerated } from '../src/config/docs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const rooms = (FLOORS as { name: string }[][]).flat().map((room) => room.name);

describe('the floors of src/ (scripts/layers.js)', () => {
  it('put every folder and top-level file of src/ on exactly one floor', () => {
    const present = readdirSync(src, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() || (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')))
      .map((entry) => entry.name)
      .sort();
    expect(present, 'a room of src/ is on no floor of scripts/layers.js (or a floor names a room that is gone)').toEqual([...rooms].sort());
    expect(new Set(rooms).size).toBe(rooms.length);
  });

  it('have no .ts files below a folder of a folder (the rule reads ../folder, one level)', () => {
    const nested = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts') && file.split(path.sep).length > 2);
    expect(nested).toEqual([]);
  });

  it('are the ones docs/architecture.md shows (npm run schema)', () => {
    const doc = readFileSync(path.join(root, 'docs', 'architecture.md'), 'utf8');
    expect(withGenerated(doc, 'floors', floorsMarkdown() as string), 'docs/architecture.md is stale: run npm run schema').toBe(doc);
  });

  it('let a folder import only the floors below it', () => {
    expect(allowedFor('run')).toEqual(['errors.ts', 'reporter.ts', 'interop.ts', 'files.ts', 'config', 'engine', 'detect', 'plan', 'recover', 'export']);
    expect(allowedFor('detect')).not.toContain('plan');
    expect(allowedFor('errors.ts')).toEqual([]);
  });
});

describe('the lint rule made from the floors', () => {
  const eslint = new ESLint({ cwd: root });
  const lint = async (file: string, code: string): Promise<string[]> => {
    const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
    return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  };

  it.each([
    ['src/run/wrong.ts', "import type { CliOptions } from '../cli/args.js';"],
    ['src/config/wrong.ts', "export type { Engine } from '../engine/port.js';"],
    ['src/detect/wrong.ts', "import { classify } from '../recover/signatures.js';"],
    ['src/detect/wrong.ts', "import { plan } from '../plan/plan.js';"],
    ['src/errors.ts', "import type { Reporter } from './reporter.js';"],
    ['src/engine/wrong.ts', "import { main } from '../index.js';"],
  ])('refuses %s: %s', async (file, code) => {
    const messages = await lint(file, `${code}\nexport const x = 1;\n`);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/may import only .*is not below it \(docs\/architecture\.md\)/);
  });

  it.each([
    ['src/run/right.ts', "import type { Reporter } from '../reporter.js';"],
    ['src/recover/right.ts', "import type { FuseState } from '../detect/facts.js';"],
    ['src/cli/right.ts', "import { runAttempt } from '../run/attempt.js';"],
    ['src/plan/right.ts', "import { something } from './sibling.js';"],
  ])('allows %s: %s', async (file, code) => {
    expect(await lint(file, `${code}\nexport const x = 1;\n`)).toEqual([]);
  });
});
