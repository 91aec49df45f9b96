/**
 * What is wrong with `werf-run doctor ...` (pure). doctor is werf-run's own
 * command, not werf's: an option it does not know is not werf's option in the
 * wrong place, and it takes no arguments (werf-run used to ignore them).
 */
import { nearest } from '../config/layers.js';
import { optionEnd, optionStem, type MisplacedOption } from './misplaced-option.js';

/**
 * commander's "unknown option" inside doctor: `doctorOwn` doctor's options,
 * `werfRunOwn` werf-run's (which go before doctor: werf-run --host X doctor),
 * `argv` the whole line, from which the corrected one is made.
 */
export function unknownDoctorOption(
  option: string,
  doctorOwn: readonly string[],
  werfRunOwn: readonly string[],
  argv?: readonly string[],
): MisplacedOption {
  const message = `doctor has no option '${option}'`;
  const at = argv ? argv.findIndex((word, i) => i > argv.indexOf('doctor') && (word === option || word.startsWith(`${option}=`))) : -1;
  const line = (words: readonly string[]): string => `werf-run ${words.join(' ')}`;
  const near = nearest(option, doctorOwn, optionStem);
  if (near) {
    const spelled = !argv || at < 0 ? ['doctor', near] : argv.map((word, i) => (i === at ? `${near}${word.slice(option.length)}` : word));
    return { message, remedy: `did you mean ${near}? ${line(spelled)}` };
  }
  if (werfRunOwn.includes(option)) {
    if (!argv || at < 0) return { message, remedy: `werf-run's options go before doctor: werf-run ${option} ... doctor` };
    // The option and its value (the next word, when it is no option) move in front of doctor.
    const end = optionEnd(argv, at);
    const doctorAt = argv.indexOf('doctor');
    const moved = [...argv.slice(0, doctorAt), ...argv.slice(at, end), ...argv.slice(doctorAt, at), ...argv.slice(end)];
    return { message, remedy: `werf-run's options go before doctor: ${line(moved)}` };
  }
  return { message, remedy: `doctor's options: ${doctorOwn.join(', ')} (werf-run doctor --help)` };
}

/** The words after `doctor` that are not its options; undefined when there are none. */
export function doctorArguments(args: readonly string[]): MisplacedOption | undefined {
  if (args.length === 0) return undefined;
  const words = args.map((a) => `'${a}'`).join(', ');
  return {
    message: `doctor takes no arguments, got ${words}`,
    remedy: `drop ${args.length === 1 ? 'it' : 'them'}: werf-run doctor [--json]; werf-run's options go before doctor (werf-run --host X doctor)`,
  };
}
