/**
 * What is wrong with `werf-run doctor ...` (pure). doctor is werf-run's own
 * command, not werf's: an option it does not know is not werf's option in the
 * wrong place, and it takes no arguments (werf-run used to ignore them).
 */
import { nearest } from '../config/layers.js';
import { optionStem, type MisplacedOption } from './misplaced-option.js';

/**
 * commander's "unknown option" inside doctor: `doctorOwn` doctor's options,
 * `werfRunOwn` werf-run's (which go before doctor: werf-run --host X doctor).
 */
export function unknownDoctorOption(option: string, doctorOwn: readonly string[], werfRunOwn: readonly string[]): MisplacedOption {
  const message = `doctor has no option '${option}'`;
  const near = nearest(option, doctorOwn, optionStem);
  if (near) return { message, remedy: `did you mean ${near}? werf-run doctor ${near}` };
  if (werfRunOwn.includes(option)) return { message, remedy: `werf-run's options go before doctor: werf-run ${option} ... doctor` };
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
