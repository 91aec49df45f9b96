import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { inputFiles } from './input-paths.js';

const base = { env: {}, cwd: '/p', projectRoot: '/p', home: '/home/build' };

describe('input files handed in', () => {
  it('reads the file outside the project and hands it in with its mode; werf args rewritten', () => {
    const read = (f: string) => (f === '/o/s.yaml' ? Buffer.from('s: 1') : undefined);
    const out = inputFiles({ ...base, read, werfArgs: ['render', '--secret-values', '/o/s.yaml'] });
    expect(out.files).toEqual([{ path: '/home/build/.werf-run/inputs/1-s.yaml', content: Buffer.from('s: 1'), mode: 0o600, secret: true }]);
    expect(out.werfArgs).toEqual(['render', '--secret-values', '/home/build/.werf-run/inputs/1-s.yaml']);
  });
  it('leaves werf args alone when nothing changes', () => {
    expect(inputFiles({ ...base, read: () => undefined, werfArgs: ['build', '--values', 'v.yaml'] }).werfArgs).toBeUndefined();
  });
  it('a missing file: a usage error naming the flag, the path and the fix', () => {
    const run = () => inputFiles({ ...base, read: () => undefined, werfArgs: ['render', '--values', '/nope/v.yaml'] });
    expect(run).toThrow(UsageError);
    expect(run).toThrow("werf's --values names /nope/v.yaml, which does not exist on this host (/nope/v.yaml)");
  });
});
