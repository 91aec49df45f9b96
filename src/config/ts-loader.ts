/**
 * Loading `.werfrunrc.ts` / `werfrun.config.ts`. cosmiconfig 9's own TS loader
 * imports `typescript` from werf-run's install, where it is only a dev
 * dependency, so it fails for every installed werf-run. This one:
 *  1. on a Node that strips types itself (22.6+ with the flag, 23.6+ by
 *     default: `process.features.typescript`), imports the file directly;
 *  2. else transpiles it with the `typescript` package found from the config
 *     file's own directory (the project's devDependency) or werf-run's install;
 *  3. else says what to install, or which other file form to use.
 */
import { randomUUID } from 'node:crypto';
import { fsp } from '../files.js';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../errors.js';
import { nativeImport } from './native-import.js';

interface TsCompiler {
  transpileModule(input: string, options: { compilerOptions: Record<string, unknown>; fileName?: string }): { outputText: string };
  ModuleKind: { ESNext: number };
  ScriptTarget: { ES2022: number };
}

export interface TsLoaderDeps {
  /** The Node runtime strips TypeScript types by itself. */
  nativeTypeScript: boolean;
  findCompiler(fromDir: string): Promise<TsCompiler | undefined>;
}

async function importCompiler(specifier: string): Promise<TsCompiler | undefined> {
  try {
    const mod = (await nativeImport(specifier)) as { default?: TsCompiler } & Partial<TsCompiler>;
    const ts = (mod.default ?? mod) as TsCompiler;
    return typeof ts.transpileModule === 'function' ? ts : undefined;
  } catch {
    return undefined;
  }
}

async function findCompiler(fromDir: string): Promise<TsCompiler | undefined> {
  try {
    const resolved = createRequire(path.join(fromDir, 'noop.js')).resolve('typescript');
    const found = await importCompiler(pathToFileURL(resolved).href);
    if (found) return found;
  } catch {
    // not installed in the project: try werf-run's own
  }
  return importCompiler('typescript');
}

const defaultDeps: TsLoaderDeps = {
  nativeTypeScript: Boolean((process.features as { typescript?: unknown }).typescript),
  findCompiler,
};

async function importDefault(file: string): Promise<unknown> {
  const mod = (await nativeImport(`${pathToFileURL(file).href}?t=${Date.now()}`)) as { default?: unknown };
  return mod.default;
}

export async function loadTypeScriptConfig(filepath: string, content: string, deps: TsLoaderDeps = defaultDeps): Promise<unknown> {
  if (deps.nativeTypeScript) return importDefault(filepath);
  const ts = await deps.findCompiler(path.dirname(filepath));
  if (!ts) {
    throw new UsageError(
      `${filepath} is a TypeScript config, and neither this Node (${process.version}) nor an installed typescript package can load it`,
      'install typescript in the project (npm install -D typescript), or use Node >= 23.6, or write the config as .js, .mjs, .json or .yaml',
    );
  }
  const output = ts.transpileModule(content, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: filepath,
  }).outputText;
  // Next to the original, so that its relative imports resolve the same way.
  const compiled = `${filepath}.${randomUUID()}.mjs`;
  await fsp.writeFile(compiled, output);
  try {
    return await importDefault(compiled);
  } finally {
    await fsp.rm(compiled, { force: true });
  }
}
