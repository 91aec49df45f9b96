import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
    const nested = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter(
      (file) => file.endsWith('.ts') && file.split(path.sep).length > 2,
    );
    expect(nested).toEqual([]);
  });

  it('are the ones docs/architecture.md shows (npm run schema)', () => {
    const doc = readFileSync(path.join(root, 'docs', 'architecture.md'), 'utf8');
    expect(withGenerated(doc, 'floors', floorsMarkdown() as string), 'docs/architecture.md is stale: run npm run schema').toBe(doc);
  });

  it('let a folder import only the floors below it', () => {
    expect(allowedFor('run')).toEqual([
      'errors.ts',
      'reporter.ts',
      'interop.ts',
      'files.ts',
      'config',
      'engine',
      'detect',
      'plan',
      'recover',
      'export',
    ]);
    expect(allowedFor('detect')).not.toContain('plan');
    expect(allowedFor('errors.ts')).toEqual([]);
  });
});

describe('the lint rule made from the floors', () => {
  const eslint = new ESLint({ cwd: root });
  const lint = async (file: string, code: string): Promise<string[]> => {
    const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
    return (result?.messages ?? [])
      .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
      .map((m) => m.message);
  };

  it.each([
    ['src/run/wrong.ts', "import type { CliOptions } from '../cli/args.js';"],
    ['src/config/wrong.ts', "export type { Engine } from '../engine/port.js';"],
    ['src/detect/wrong.ts', "import { classify } from '../recover/signatures.js';"],
    ['src/detect/wrong.ts', "import { plan } from '../plan/plan.js';"],
    ['src/errors.ts', "import type { Reporter } from './reporter.js';"],
    ['src/engine/wrong.ts', "import { main } from '../index.js';"],
    ['src/run/wrong.ts', "export const load = () => import('../cli/task-list.js');"],
    ['src/config/wrong.ts', "export const load = async () => (await import('../engine/dockerode.js')).openEngine;"],
    ['src/errors.ts', "export const load = () => import('./reporter.js');"],
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
    ['src/cli/right.ts', "export const load = () => import('./task-list.js');"],
    ['src/cli/right.ts', "export const load = () => import('../run/attempt.js');"],
    ['src/plan/right.ts', "export const load = () => import('yaml');"],
  ])('allows %s: %s', async (file, code) => {
    expect(await lint(file, `${code}\nexport const x = 1;\n`)).toEqual([]);
  });
});

/** The werf-run modules a source file names: static and dynamic imports and re-exports, `import type` too (config/'s circle was one). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...[...text.matchAll(/^(?:import|export)[^'";]*?from\s+'(\.[^']+)'/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/^import\s+'(\.[^']+)'/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g)].map((m) => m[1]!),
  ];
  return specifiers.map((specifier) => path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')));
}

/** Every import circle among `files`, each as the list of files around it (a depth-first walk). */
function importCircles(files: readonly string[]): string[][] {
  const edges = new Map(files.map((file) => [file, runtimeImports(file).filter((to) => files.includes(to))]));
  const circles: string[][] = [];
  const done = new Set<string>();
  const walk = (file: string, trail: string[]): void => {
    const at = trail.indexOf(file);
    if (at >= 0) return void circles.push(trail.slice(at));
    if (done.has(file)) return;
    for (const next of edges.get(file) ?? []) walk(next, [...trail, file]);
    done.add(file);
  };
  for (const file of files) walk(file, []);
  return circles;
}

describe('imports in src/', () => {
  const sources = readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => path.join(src, file));

  it('form no circle (a module must be able to load before the ones that need it)', () => {
    const circles = importCircles(sources).map((circle) => circle.map((file) => path.relative(root, file)).join(' -> '));
    expect(circles).toEqual([]);
  });

  it('the check finds a circle through a dynamic import() and one of types only', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'werf-run-circle-'));
    const write = (name: string, text: string): string => (writeFileSync(path.join(dir, name), text), path.join(dir, name));
    const a = write('a.ts', "import { b } from './b.js';\nexport const a = b;\n");
    const b = write('b.ts', "export const b = 1;\nexport const load = () => import('./c.js');\n");
    const c = write('c.ts', "import { a } from './a.js';\nimport type { T } from './d.js';\nexport const c = a;\n");
    const d = write('d.ts', 'export type T = number;\n');
    const e = write('e.ts', "import type { F } from './f.js';\nexport type E = F[];\n");
    const f = write('f.ts', "import { type E } from './e.js';\nexport type F = string;\nexport const f = (e: E) => e;\n");
    expect(importCircles([a, b, c, d])).toEqual([[a, b, c]]);
    expect(importCircles([d, e, f])).toEqual([[e, f]]);
    rmSync(dir, { recursive: true });
  });
});

describe('the function-length rule (eslint.config.js)', () => {
  const eslint = new ESLint({ cwd: root });
  const body = (lines: number): string => `export function f(): number {\n  let n = 0;\n${'  n += 1;\n'.repeat(lines - 4)}  return n;\n}\n`;
  const severities = async (file: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
    return (result?.messages ?? []).filter((m) => m.ruleId === 'max-lines-per-function').map((m) => m.severity);
  };

  it('fails lint (severity 2) on a function of src/ over 60 lines, not on one of 60', async () => {
    expect(await severities('src/plan/long.ts', body(60))).toEqual([]);
    expect(await severities('src/plan/long.ts', body(61))).toEqual([2]);
  }, 30_000); // the first lint loads the TypeScript parser: seconds on a busy machine

  it('leaves tests alone', async () => {
    expect(await severities('src/plan/long.test.ts', body(80))).toEqual([]);
  });
});
