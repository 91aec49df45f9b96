/**
 * An option werf-run does not know, written before the werf command
 * (`werf-run --repo X build`), is almost always werf's own option in the wrong
 * place: werf-run's options come first, werf's after its command. Pure: from
 * the argument list to the message and the corrected command line.
 */
import { nearest } from '../config/layers.js';

/**
 * werf's top-level commands (werf/werf cmd/werf/root/root.go, the command
 * groups of the root command, plus cobra's `help`). Used only to find where
 * the werf command starts in a line that failed to parse.
 */
const WERF_COMMANDS = [
  'converge',
  'rollback',
  'plan',
  'dismiss',
  'cleanup',
  'purge',
  'ci-env',
  'build',
  'export',
  'run',
  'kube-run',
  'compose',
  'slugify',
  'render',
  'lint',
  'chart',
  'includes',
  'stages',
  'config',
  'managed-images',
  'host',
  'helm',
  'cr',
  'kubectl',
  'synchronization',
  'completion',
  'version',
  'docs',
  'help',
] as const;

export interface MisplacedOption {
  message: string;
  remedy: string;
}

/** Quotes a word for a POSIX shell only when it needs it. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Where the option at `at` ends in `argv` (before `limit`): after its value
 * when it has no `=value` and the next word is no option, else right after it.
 * werf-run cannot know an unknown option's arity; a following plain word is its value.
 */
export function optionEnd(argv: readonly string[], at: number, limit = argv.length): number {
  return !argv[at]!.includes('=') && at + 1 < limit && !argv[at + 1]!.startsWith('-') ? at + 2 : at + 1;
}

/** An option's name without its dashes: what nearest() compares. */
export const optionStem = (name: string): string => name.replace(/^-+/, '');

/**
 * The line with the words before the werf command that are not werf-run's
 * own options (`own`) moved right after the command: the unknown option at
 * `at` and any other unknown one, each with its value when the next word is
 * one (not an option). werf-run's own options (and their values) stay in front.
 */
function movedAfterCommand(argv: readonly string[], at: number, commandAt: number, own: readonly string[]): string[] {
  const kept: string[] = [];
  const moved: string[] = [];
  for (let i = at; i < commandAt;) {
    const end = optionEnd(argv, i, commandAt);
    (own.includes(argv[i]!.split('=', 1)[0]!) ? kept : moved).push(...argv.slice(i, end));
    i = end;
  }
  return [...argv.slice(0, at), ...kept, argv[commandAt]!, ...moved, ...argv.slice(commandAt + 1)];
}

/**
 * The answer to commander's "unknown option": `option` as commander names it,
 * `own` werf-run's long options. A near-certain slip of one of them (--dryrun
 * for --dry-run, by nearest()) is said first, with the line that spells it;
 * that it may be werf's own option in the wrong place comes second.
 */
export function misplacedOption(argv: readonly string[], option: string, own: readonly string[]): MisplacedOption {
  const at = argv.findIndex((word) => word === option || word.startsWith(`${option}=`));
  const commandAt = at < 0 ? -1 : argv.findIndex((word, i) => i > at && (WERF_COMMANDS as readonly string[]).includes(word));
  const near = nearest(option, own, optionStem);
  const line = (words: readonly string[]): string => `werf-run ${words.map(shellWord).join(' ')}`;
  if (near) {
    // The user's line with werf-run's option spelled right (its =value kept).
    const spelled = at < 0 ? undefined : argv.map((word, i) => (i === at ? `${near}${word.slice(option.length)}` : word));
    const moved =
      commandAt < 0 ? `werf-run [werf-run options] <werf command> ${option} ...` : line(movedAfterCommand(argv, at, commandAt, own));
    return {
      message: `unknown werf-run option '${option}'`,
      remedy: `did you mean werf-run's ${near}?${spelled ? ` ${line(spelled)}` : ''}; if ${option} is werf's, put it after the werf command: ${moved}`,
    };
  }
  if (commandAt < 0) {
    return {
      message: `unknown werf-run option '${option}'`,
      remedy: `werf's options go after the werf command (werf-run [werf-run options] <werf command> ${option} ...); werf-run's options: werf-run --help`,
    };
  }
  const fixed = movedAfterCommand(argv, at, commandAt, own);
  return {
    message: `unknown werf-run option '${option}' before the werf command ${argv[commandAt]}: werf's options go after the werf command`,
    remedy: line(fixed),
  };
}
