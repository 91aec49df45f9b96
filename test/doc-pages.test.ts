/**
 * The user-facing documentation stays short, true to the code and linked up:
 * the README's size, its exit-code table against src/errors.ts, its quick-start
 * commands against package.json and .ci/run, and every relative link (file and
 * heading) in README.md, CONTRIBUTING.md and docs/*.md, checked offline with
 * remark-validate-links.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { remark } from 'remark';
import remarkValidateLinks from 'remark-validate-links';
import { engine } from 'unified-engine';
import { describe, expect, it } from 'vitest';
import { emptyDoctorReport } from '../src/cli/doctor-report.js';
import { configKeys } from '../src/config/keys.js';
import { FACT_KEYS } from '../src/detect/facts.js';
import { ExitCode } from '../src/errors.js';
import { renderExport } from '../src/export/render.js';
import { EXPORT_FORMATS, type ExportFormat } from '../src/export/formats.js';
import { patternTexts } from '../src/recover/docs.js';
import { SIGNATURES } from '../src/recover/signatures.js';
import { DEFAULT_ENV_PASS } from '../src/plan/env.js';
import { configSchema, MODES, type Mode } from '../src/config/schema.js';
import { specFor } from './export-fixture.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (name: string): string => readFileSync(path.join(root, name), 'utf8');
const README_MAX_BYTES = 12 * 1024;

/** The lines of the section under `## title`, up to the next `## `. */
function section(markdown: string, title: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${title}`);
  expect(start, `no "## ${title}" section`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The first cell of each body row of the first table in `lines`. */
function firstCells(lines: readonly string[]): string[] {
  const rows = lines.filter((line) => line.startsWith('|'));
  return rows.slice(2).map((row) => row.split('|')[1]!.trim());
}

/** The commands of the quick-start table, by what they do. */
function quickStart(): { example: string; test: string } {
  const rows = section(read('README.md'), 'Quick start').filter((line) => line.startsWith('| '));
  const command = (what: RegExp): string => {
    const row = rows.find((line) => what.test(line.split('|')[1] ?? ''));
    expect(row, `no quick-start row matching ${what}`).toBeDefined();
    return /`([^`]+)`/.exec(row!.split('|')[2] ?? '')?.[1] ?? '';
  };
  return { example: command(/example build/), test: command(/whole test suite/) };
}

/** `cmd1 && cmd2` as lists of words, leaving out npm's `--no-*` options (they only quiet npm). */
const commandWords = (line: string): string[][] =>
  line.split('&&').map((part) =>
    part
      .trim()
      .split(/\s+/)
      .filter((word) => !word.startsWith('--no-')),
  );

describe('README.md', () => {
  it(`is at most ${README_MAX_BYTES} bytes: a front door, not the reference (that is docs/)`, () => {
    expect(statSync(path.join(root, 'README.md')).size).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  it("lists exactly werf-run's own exit codes (src/errors.ts), after werf's own", () => {
    const cells = firstCells(section(read('README.md'), 'Exit codes'));
    expect(cells[0]).toBe("werf's own");
    const documented = cells.slice(1).map(Number);
    expect(documented.every(Number.isInteger), `non-numeric codes: ${cells.slice(1).join(', ')}`).toBe(true);
    expect([...documented].sort((a, b) => a - b)).toEqual([...new Set(Object.values(ExitCode))].sort((a, b) => a - b));
  });

  it('every json block is a valid werf-run config', () => {
    const blocks = [...read('README.md').matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      const parsed = configSchema.safeParse(JSON.parse(block));
      expect(parsed.success, `${block}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }
  });

  it("quotes the benchmark's latest figures as CONTRIBUTING.md's table has them", () => {
    const paragraph = section(read('README.md'), 'Offline, and the werf in the tests').join(' ');
    const quoted = paragraph.slice(paragraph.indexOf('What werf-run costs'));
    const figures = [...quoted.matchAll(/\b\d+(?:\.\d+)?(?: ms| MB|x)/g)].map((m) => m[0].replace(/x$/, ''));
    expect(figures.length).toBeGreaterThanOrEqual(4);
    // The first table is the latest run; a later one keeps older figures for comparison.
    const lines = section(read('CONTRIBUTING.md'), 'Benchmark');
    const start = lines.findIndex((line) => line.startsWith('| '));
    const end = lines.findIndex((line, i) => i > start && !line.startsWith('|'));
    const latest = lines
      .slice(start, end === -1 ? undefined : end)
      .filter((line) => line.startsWith('| '))
      .map((line) => line.split('|').at(-2) ?? '')
      .join(' ');
    for (const figure of figures)
      expect(latest, `${figure} is not in the "latest" column of CONTRIBUTING.md's benchmark table`).toContain(figure);
  });

  it('quick start: the example command builds examples/hello through werf-run (package.json)', () => {
    const { example } = quickStart();
    expect(example).toBe('npm ci && npm run example');
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; bin: Record<string, string> };
    // The package's own bin, which exists.
    const bin = pkg.bin['werf-run']!;
    expect(existsSync(path.join(root, bin))).toBe(true);
    expect(pkg.scripts.example).toBe('npm run build && bash rig/up.sh && bash scripts/example.sh');
    // The script builds a copy of examples/hello (owned like a user's checkout) with that bin.
    const script = read('scripts/example.sh');
    expect(script).toContain('cp -a "$root/examples/hello/." "$dir/"');
    expect(script).toContain(`node "$root/${bin}" --trust-project-config build`);
  });

  it('quick start: the test command is what .ci/run runs, and npm test runs the whole suite', () => {
    const { test } = quickStart();
    expect(test).toBe('npm ci && npm test');
    const ciCommands = read('.ci/run')
      .split('\n')
      .filter((line) => line.trim() && !line.trim().startsWith('#') && /^\s*npm /.test(line));
    expect(ciCommands.map(commandWords)).toEqual([commandWords(test)]);
    // Word for word: npm's quieting lives in the project's .npmrc, not in a flag only CI passes.
    expect(ciCommands.map((line) => line.trim())).toEqual([test]);
    expect(read('.npmrc')).toMatch(/^audit=false$/m);
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(commandWords(scripts.test ?? '')).toEqual(
      commandWords('npm run lint && npm run typecheck && npm run test:unit && npm run test:integration'),
    );
  });
});

type EnginePlugins = NonNullable<Parameters<typeof engine>[0]['plugins']>;

/** The `code` spans of a text. */
const codeSpans = (text: string): string[] => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

describe('docs/ against the code', () => {
  const modes = read('docs/modes-and-detection.md');

  it('doctor --json: the table lists exactly the keys of the report', () => {
    expect(firstCells(section(modes, 'doctor')).map((cell) => cell.replace(/`/g, ''))).toEqual(Object.keys(emptyDoctorReport()));
  });

  it('doctor --json: the facts row names every fact', () => {
    const row = section(modes, 'doctor').find((line) => line.startsWith('| `facts` |')) ?? '';
    for (const key of FACT_KEYS) expect(codeSpans(row), key).toContain(key);
  });

  it('detection: every detect.* override key is listed', () => {
    const overrides = section(modes, 'Detection').find((line) => line.startsWith('1. **override**')) ?? '';
    const keys = configKeys()
      .map((k) => k.path)
      .filter((p) => p.startsWith('detect.') && p !== 'detect.probe')
      .map((p) => p.slice('detect.'.length));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(codeSpans(overrides), key).toContain(key);
  });

  it('modes: the table has exactly the modes of the schema, and the README names them all', () => {
    expect(firstCells(section(modes, 'Modes')).sort()).toEqual([...MODES].sort());
    const row = section(read('README.md'), 'Everyday commands').find((line) => line.startsWith('| `werf-run --mode')) ?? '';
    for (const mode of ['auto', ...MODES]) expect(codeSpans(row), mode).toContain(mode);
  });

  it('recovery: every failure signature has a row saying what werf-run does', () => {
    const rows = section(modes, 'Recovery').filter((line) => line.startsWith('| `'));
    for (const signature of SIGNATURES) {
      const texts = patternTexts(signature.pattern);
      const row = rows.find((line) => codeSpans(line.split(' | ')[0] ?? '').some((shown) => texts.some((text) => text.includes(shown))));
      expect(row, `${signature.id}: no row in the Recovery table of docs/modes-and-detection.md`).toBeDefined();
    }
  });

  it('exports: the formats table and the README list every format', () => {
    expect(firstCells(section(read('docs/exports.md'), 'Formats')).map((cell) => cell.replace(/`/g, ''))).toEqual([...EXPORT_FORMATS]);
    const row = section(read('README.md'), 'Everyday commands').find((line) => line.startsWith('| `werf-run --export')) ?? '';
    for (const format of EXPORT_FORMATS) expect(codeSpans(row), format).toContain(format);
  });

  it('environment: the variables werf gets by default are exactly DEFAULT_ENV_PASS (src/plan/env.ts)', () => {
    const lines = section(read('docs/credentials-clusters-ci.md'), 'Environment variables');
    // The paragraph that is only the list: from the line starting with `WERF_*` to the next blank line.
    const from = lines.findIndex((line) => line.startsWith('`WERF_*`'));
    expect(from).toBeGreaterThanOrEqual(0);
    const to = lines.findIndex((line, i) => i > from && line.trim() === '');
    expect(codeSpans(lines.slice(from, to).join(' '))).toEqual([...DEFAULT_ENV_PASS]);
  });
});

describe('docs/exports.md: the examples are what the renderers print', () => {
  const lines = read('docs/exports.md').split('\n');
  // Examples shown whole (compose and kubernetes are shown condensed, so not here).
  const whole: ExportFormat[] = ['docker-run', 'gitlab-runner', 'gitlab-ci', 'github-actions'];

  /** The example introduced by a line that is exactly `werf-run ... --export FORMAT ...` in backticks, and its command. */
  function example(format: ExportFormat): { mode: Mode; werfArgs: string[]; block: string[] } {
    const at = lines.findIndex((line) => new RegExp(`^\`werf-run (--mode \\w+ )?--export ${format}( [^\`]*)?\`$`).test(line));
    expect(at, `no example of ${format}`).toBeGreaterThanOrEqual(0);
    const words = lines[at]!.slice(1, -1).split(' ').slice(1);
    const mode = (words[0] === '--mode' ? words.splice(0, 2)[1] : 'native') as Mode;
    const werfArgs = words.slice(2);
    const open = lines.findIndex((line, i) => i > at && line.startsWith('```'));
    const close = lines.findIndex((line, i) => i > open && line === '```');
    return { mode, werfArgs: werfArgs.length ? werfArgs : ['build'], block: lines.slice(open + 1, close) };
  }

  /** Without comment lines, blank lines and trailing `   # comments` (the docs add some). */
  const essential = (text: readonly string[]): string[] =>
    text.map((line) => line.replace(/\s{2,}# .*$/, '')).filter((line) => line.trim() !== '' && !line.startsWith('#'));

  it.each(whole)('%s', (format) => {
    const { mode, werfArgs, block } = example(format);
    const rendered = renderExport(format, specFor({ mode, werfArgs, hostEnv: {} }));
    expect(essential(block)).toEqual(essential(rendered.split('\n')));
  });
});

/** Every problem remark-validate-links finds in `files` (paths relative to `cwd`), as "file:line: reason". */
async function linkProblems(cwd: string, files: string[], skipPathPatterns: RegExp[] = []): Promise<string[]> {
  const context = await new Promise<{ files?: { path: string; messages: { line?: number | null; reason: string }[] }[] }>(
    (resolve, reject) => {
      engine(
        {
          processor: remark(),
          cwd,
          files,
          extensions: ['md'],
          // remark-validate-links' options type is narrower than unified-engine's plugin list.
          plugins: [[remarkValidateLinks, { repository: false, root: cwd, skipPathPatterns }]] as unknown as EnginePlugins,
          output: false,
          out: false,
          silent: true,
          ignoreName: '.remarkignore',
          detectConfig: false,
          detectIgnore: false,
        },
        (error, _code, ctx) => (error ? reject(error) : resolve(ctx as never)),
      );
    },
  );
  return (context.files ?? []).flatMap((file) =>
    file.messages.map((m) => `${path.relative(cwd, file.path)}:${m.line ?? '?'}: ${m.reason}`),
  );
}

describe('links in README.md, CONTRIBUTING.md and docs/*.md', () => {
  const docs = [
    'README.md',
    'CONTRIBUTING.md',
    ...readdirSync(path.join(root, 'docs'))
      .filter((n) => n.endsWith('.md'))
      .map((n) => `docs/${n}`),
  ];

  it('point at existing files and headings', async () => {
    // docs/architecture.md is written by the branch that lays out the folders;
    // until it is merged, links to it are the only ones allowed to dangle.
    const pending = existsSync(path.join(root, 'docs', 'architecture.md')) ? [] : [/docs\/architecture\.md$/];
    expect(await linkProblems(root, docs, pending)).toEqual([]);
  }, 30_000);

  it('the checker does find a missing file and a missing heading', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'werf-run-links-'));
    try {
      writeFileSync(
        path.join(dir, 'a.md'),
        '# A\n\n## Here\n\n[ok](#here) [ok](b.md#there) [bad](#nowhere) [bad](b.md#gone) [bad](missing.md)\n',
      );
      writeFileSync(path.join(dir, 'b.md'), '# B\n\n## There\n');
      const problems = await linkProblems(dir, ['a.md', 'b.md']);
      expect(problems).toHaveLength(3);
      expect(problems.join('\n')).toMatch(/nowhere/);
      expect(problems.join('\n')).toMatch(/gone/);
      expect(problems.join('\n')).toMatch(/missing\.md/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
