import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';
import { doctorArguments, unknownDoctorOption } from './doctor-args.js';

const sink = { write: () => undefined };
const parse = (...argv: string[]) => parseArgs(argv, '0.0.0', sink, sink);
const failure = (...argv: string[]): unknown => {
  try {
    parse(...argv);
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('werf-run doctor with what it does not take', () => {
  it("an unknown option is doctor's, not werf's in the wrong place, with the near one", () => {
    expect(failure('doctor', '--jsn')).toMatchObject({
      exitCode: 2,
      message: "doctor has no option '--jsn'",
      remedy: 'did you mean --json? werf-run doctor --json',
    });
  });

  it("werf-run's own option after doctor goes before it", () => {
    expect(unknownDoctorOption('--host', ['--json', '--help'], ['--host', '--mode']).remedy).toBe(
      "werf-run's options go before doctor: werf-run --host ... doctor",
    );
  });

  it('keeps the rest of the line: values, short options, werf-run options before doctor', () => {
    expect(failure('doctor', '--host', 'tcp://h:2375')).toMatchObject({
      remedy: "werf-run's options go before doctor: werf-run --host tcp://h:2375 doctor",
    });
    expect(failure('doctor', '-v', '--json')).toMatchObject({ remedy: "werf-run's options go before doctor: werf-run -v doctor --json" });
    expect(failure('--host', 'tcp://h:2375', 'doctor', '--jsn')).toMatchObject({
      remedy: 'did you mean --json? werf-run --host tcp://h:2375 doctor --json',
    });
  });

  it("anything else lists doctor's options", () => {
    expect(unknownDoctorOption('--repo', ['--json', '--help'], ['--reprobe'])).toEqual({
      message: "doctor has no option '--repo'",
      remedy: "doctor's options: --json, --help (werf-run doctor --help)",
    });
  });

  it('an argument is a usage error naming it (it was ignored, exit 0)', () => {
    expect(failure('doctor', 'extra')).toMatchObject({ exitCode: 2, message: "doctor takes no arguments, got 'extra'" });
    expect(doctorArguments(['a', 'b'])?.remedy).toMatch(/^drop them: werf-run doctor \[--json\]/);
    expect(doctorArguments([])).toBeUndefined();
  });

  it('doctor and --json still parse', () => {
    expect(parse('--mode', 'fuse', 'doctor', '--json')).toMatchObject({ kind: 'doctor', options: { mode: 'fuse', json: true } });
  });
});
