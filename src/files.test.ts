import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { readBytes, readIfExists, readTextIfExists, readTextIfReadable } from './files.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'f.txt');
writeFileSync(file, 'héllo\n');
mkdirSync(path.join(dir, 'a-dir'));

describe("reading the user's files", () => {
  it.each([
    ['a file', file, 'héllo\n'],
    ['a missing file', path.join(dir, 'missing'), undefined],
    ['a path through a file (ENOTDIR)', path.join(file, 'x'), undefined],
  ])('%s: readTextIfExists and readIfExists agree', (_what, target, text) => {
    expect(readTextIfExists(target)).toBe(text);
    expect(readIfExists(target)?.toString('utf8')).toBe(text);
  });

  it('a path that cannot be read as a file is one UsageError naming it and the fix', () => {
    const target = path.join(dir, 'a-dir');
    expect(() => readTextIfExists(target)).toThrow(UsageError);
    expect(() => readTextIfExists(target)).toThrow(`cannot read ${target}: EISDIR`);
  });

  it.each([
    ['a file', file, 'héllo\n'],
    ['a missing file', path.join(dir, 'missing'), undefined],
    ['a directory', path.join(dir, 'a-dir'), undefined],
  ])('readTextIfReadable, %s: the text or nothing, never an error', (_what, target, text) => {
    expect(readTextIfReadable(target)).toBe(text);
  });

  it("readBytes throws Node's own error for the caller to word", () => {
    expect(readBytes(file).toString('utf8')).toBe('héllo\n');
    expect(() => readBytes(path.join(dir, 'missing'))).toThrow(/ENOENT/);
  });
});
