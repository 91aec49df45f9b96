/** Reading one config file: a bounded data file (JSON, YAML) or, with consent, a code config; every failure a UsageError with the file's line and column (load.ts). */
import { fsp } from '../files.js';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { UsageError, WerfRunError, errorMessage } from '../errors.js';
import { commonJs } from '../interop.js';
import { jsonErrorDetail, jsonErrorOffset, yamlErrorOffset } from './json-error.js';
import { nativeImport } from './native-import.js';
import { maskSecretsInText } from './secrets.js';
import { loadTypeScriptConfig } from './ts-loader.js';
import { isCodeConfig } from './trust.js';
import { capText } from './quote.js';
import { MODULE_NAME, SEARCH_PLACES } from './find.js';

/** A .js, .mjs or .cjs config: its default export (module.exports for CommonJS), as cosmiconfig's own loader gives it. */
async function loadJavaScriptConfig(filepath: string): Promise<unknown> {
  return ((await nativeImport(pathToFileURL(filepath).href)) as { default?: unknown }).default;
}

/** The largest config file werf-run reads: its settings take a few hundred bytes. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** The text of a data (JSON or YAML) config file; a missing, directory or huge one is a UsageError. */
async function readDataText(file: string): Promise<string> {
  let size: number;
  try {
    const st = await fsp.stat(file);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = st.size;
  } catch (error) {
    throw fileError(file, error);
  }
  if (size > MAX_CONFIG_BYTES) {
    throw new UsageError(
      `config file ${file} is ${size} bytes; a werf-run config is at most ${MAX_CONFIG_BYTES} bytes`,
      "keep only werf-run's settings in it (a few lines)",
    );
  }
  return fsp.readText(file).catch((error: unknown) => {
    throw fileError(file, error);
  });
}

/** A file that cannot be read, named with the fix. */
function fileError(file: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UsageError(`config file ${file} does not exist`, 'check the --config path', error);
  if (code === 'EISDIR') return new UsageError(`config file ${file} is a directory`, 'give --config the path of a file', error);
  return new UsageError(`cannot read config file ${file}: ${errorMessage(error)}`, `make ${file} a file this user may read`, error);
}

/**
 * Parses one file (any form) into its raw value; undefined for an empty file.
 * Data files (JSON, YAML, package.json) are parsed here, with cosmiconfig's
 * own parsers but not its loader: that one follows a `$import` key to other
 * files, code included, before werf-run could check anything. Only code
 * configs, which the user consented to (trust.ts), go through cosmiconfig.
 */
export async function readConfigFile(file: string): Promise<unknown> {
  if (isCodeConfig(file)) return loadCodeConfig(file);
  const text = await readDataText(file);
  if (text.trim() === '') return undefined;
  const ext = path.extname(file);
  // The common .json file: one that does not parse is told here (json-error.ts).
  if (ext === '.json' && path.basename(file) !== 'package.json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new UsageError(
        `cannot load config file ${file}: ${await jsonSyntaxDetail(text, errorMessage(error))}`,
        'fix the syntax so that the file parses',
        error,
      );
    }
  }
  if (ext !== '.json' && ext !== '' && ext !== '.yaml' && ext !== '.yml') {
    throw new UsageError(
      `config file ${file} has a form werf-run cannot read (${ext})`,
      'use JSON or YAML (any name without an extension, .json, .yaml, .yml), or JavaScript/TypeScript (.js, .cjs, .mjs, .ts)',
    );
  }
  const { defaultLoaders } = commonJs(await import('cosmiconfig'), 'defaultLoaders');
  try {
    // cosmiconfig reads a name without an extension as YAML (which JSON is too).
    if (ext === '.json') return ((await defaultLoaders['.json'](file, text)) as Record<string, unknown> | null)?.[MODULE_NAME] ?? undefined;
    return await defaultLoaders['.yaml'](file, text);
  } catch (error) {
    const detail = maskSecretsInText(parseErrorDetail(errorMessage(error), (error as { codeFrame?: unknown }).codeFrame));
    throw new UsageError(`cannot load config file ${file}: ${capText(detail, 2000)}`, 'fix the syntax so that the file parses', error);
  }
}

/** A JavaScript or TypeScript config (the user consented to running it), through cosmiconfig. */
async function loadCodeConfig(file: string): Promise<unknown> {
  const { cosmiconfig } = commonJs(await import('cosmiconfig'), 'cosmiconfig');
  const explorer = cosmiconfig(MODULE_NAME, {
    searchStrategy: 'none',
    searchPlaces: [...SEARCH_PLACES],
    cache: false,
    // JavaScript configs through nativeImport too (cosmiconfig's own import() would be a require() in the CLI's bundle).
    loaders: { '.ts': loadTypeScriptConfig, '.js': loadJavaScriptConfig, '.mjs': loadJavaScriptConfig, '.cjs': loadJavaScriptConfig },
  });
  try {
    const result = await explorer.load(file);
    return result?.config;
  } catch (error) {
    if (error instanceof WerfRunError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') throw fileError(file, error);
    const detail = maskSecretsInText(parseErrorDetail(errorMessage(error), (error as { codeFrame?: unknown }).codeFrame));
    throw new UsageError(
      `cannot load config file ${file}: ${capText(detail, 2000)}`,
      'fix the code so that it runs and exports the config as its default export',
      error,
    );
  }
}

/**
 * JSON.parse's reason with the line, column and code frame: from V8's offset
 * when its message has one, else from the yaml package (loaded only here: it
 * is a chunk of its own, which no valid config loads).
 */
async function jsonSyntaxDetail(text: string, message: string): Promise<string> {
  let offset = jsonErrorOffset(message);
  if (offset === undefined) {
    offset = yamlErrorOffset(text, commonJs(await import('yaml'), 'parseDocument').parseDocument);
    // yaml marks where the bad value starts; V8 names the character it stopped at (nat… fails at 'a'): point there when it is on that line.
    const token = /^Unexpected token '(.)'/u.exec(message)?.[1];
    if (offset !== undefined && token !== undefined) {
      const lineEnd = text.indexOf('\n', offset);
      const found = text.slice(offset, lineEnd < 0 ? undefined : lineEnd).indexOf(token);
      if (found >= 0) offset += found;
    }
  }
  // The frame shows the file's lines: secrets starred out (character for character: the caret stays right).
  return jsonErrorDetail(maskSecretsInText(text), message, offset);
}

/**
 * A parser's message without cosmiconfig's header, as the reason then one code
 * frame. parse-json (JSON) repeats its frame and quotes the whole text after
 * "while parsing"; both go. Where the terminal (or CI) supports colours the
 * parser colours its frame: the message is plain text, so the colours go too.
 */
function parseErrorDetail(coloured: string, colouredFrame?: unknown): string {
  const text = stripVTControlCharacters(coloured).replace(/^(JSON|YAML) Error in [^:\n]+:\s*/, '');
  const codeFrame = typeof colouredFrame === 'string' ? stripVTControlCharacters(colouredFrame) : undefined;
  if (codeFrame === undefined || codeFrame === '') return text.trim();
  const reason = text
    .split(codeFrame)
    .join('')
    .trim()
    .replace(/ while parsing (near )?(['"]).*$/s, '');
  return `${reason}\n\n${codeFrame}`;
}
