import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';

const sink = { write: () => undefined };
const parse = (...argv: string[]) => parseArgs(argv, '0.0.0', sink, sink);

describe('consent on the command line', () => {
  it('--trust-project-config is an option of the run, before the werf command', () => {
    expect(parse('--trust-project-config', 'build')).toMatchObject({
      kind: 'werf',
      werfArgs: ['build'],
      options: { trustProjectConfig: true },
    });
    // After the werf command it is werf's argument, as every option there.
    expect(parse('build', '--trust-project-config')).toMatchObject({ kind: 'werf', werfArgs: ['build', '--trust-project-config'] });
  });

  it('werf-run trust [file], --list, --revoke', () => {
    expect(parse('trust')).toMatchObject({ kind: 'trust', file: undefined });
    expect(parse('trust', 'ci/werfrun.json')).toMatchObject({ kind: 'trust', file: 'ci/werfrun.json' });
    expect(parse('trust', '--list')).toMatchObject({ kind: 'trust', options: { list: true } });
    expect(parse('trust', '--revoke', '.werfrunrc.json')).toMatchObject({
      kind: 'trust',
      file: '.werfrunrc.json',
      options: { revoke: true },
    });
    expect(() => parse('trust', '--list', '--revoke')).toThrow(/do not go together/);
    expect(() => parse('trust', '--list', 'x')).toThrow(/takes no file/);
  });
});
