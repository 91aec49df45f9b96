import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';
import { misplacedOption } from './misplaced-option.js';

const sink = { write: () => undefined };
const parse = (...argv: string[]) => parseArgs(argv, '0.0.0', sink, sink);

describe("werf's option before the werf command", () => {
  it('says that werf options go after the werf command, with the corrected line, not commander\'s "Did you mean --reprobe?"', () => {
    let error: unknown;
    try {
      parse('--repo', 'X', 'build');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      exitCode: 2,
      message: "unknown werf-run option '--repo' before the werf command build: werf's options go after the werf command",
      remedy: 'werf-run build --repo X',
    });
    expect(String((error as Error).message)).not.toContain('reprobe');
  });

  it('keeps werf-run options in front and quotes words a shell would split', () => {
    expect(misplacedOption(['--mode', 'fuse', '--env=a b', 'converge', '--dev'], '--env', ['--mode']).remedy).toBe(
      "werf-run --mode fuse converge '--env=a b' --dev",
    );
  });

  it("moves only the unknown option and its value: werf-run's own options after it stay werf-run's", () => {
    expect(misplacedOption(['--image', 'I', '--user', 'u', '--dry-run', 'build', '--dev'], '--user', ['--image', '--dry-run']).remedy).toBe(
      'werf-run --image I --dry-run build --user u --dev',
    );
    expect(misplacedOption(['--secondary-repo=r', '-q', 'build'], '--secondary-repo', ['-q']).remedy).toBe(
      'werf-run -q build --secondary-repo=r',
    );
    expect(misplacedOption(['--dev', '--dry-run', 'build'], '--dev', ['--dry-run']).remedy).toBe('werf-run --dry-run build --dev');
  });

  it('without a werf command after it, names the order and where werf-run options are listed', () => {
    expect(misplacedOption(['--repo', 'X'], '--repo', ['--reprobe'])).toEqual({
      message: "unknown werf-run option '--repo'",
      remedy:
        "werf's options go after the werf command (werf-run [werf-run options] <werf command> --repo ...); werf-run's options: werf-run --help",
    });
  });

  it("a near-certain typo of werf-run's own option is said first, with the line that spells it; werf's option in the wrong place second", () => {
    expect(misplacedOption(['--dryrun', 'build'], '--dryrun', ['--dry-run', '--reprobe'])).toEqual({
      message: "unknown werf-run option '--dryrun'",
      remedy:
        "did you mean werf-run's --dry-run? werf-run --dry-run build; if --dryrun is werf's, put it after the werf command: werf-run build --dryrun",
    });
    expect(misplacedOption(['--mode=fuse', '--reprob', '--x=1', 'build'], '--reprob', ['--reprobe', '--mode']).remedy).toBe(
      "did you mean werf-run's --reprobe? werf-run --mode=fuse --reprobe --x=1 build; if --reprob is werf's, put it after the werf command: werf-run --mode=fuse build --reprob --x=1",
    );
    expect(misplacedOption(['--imag=x'], '--imag', ['--image']).remedy).toBe(
      "did you mean werf-run's --image? werf-run --image=x; if --imag is werf's, put it after the werf command: werf-run [werf-run options] <werf command> --imag ...",
    );
  });
});
