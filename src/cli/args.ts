/**
 * werf-run's own options, parsed by commander. Everything from the first
 * non-option word on (or after `--`) belongs to werf and is passed unchanged:
 * `werf-run --mode fuse build --repo x` runs `werf build --repo x`.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { PULL_POLICIES, MODES } from '../config/values.js';
import type { ConfigFlags } from '../config/layers.js';
import { EXIT_CODES, UsageError } from '../errors.js';
// The formats' names only: the exports themselves (and the YAML library) load with --export.
import { EXPORT_FORMATS, KUBE_CACHE_KINDS } from '../export/formats.js';
import { misplacedOption } from './misplaced-option.js';
import { doctorArguments, unknownDoctorOption } from './doctor-args.js';

/** werf-run's options: the flags that set config keys (config/layers.ts), and the rest. */
export interface CliOptions extends ConfigFlags {
  config?: string;
  dryRun?: boolean;
  reprobe?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  /** --export FORMAT (and its Kubernetes settings): print a snippet instead of running werf. */
  export?: string;
  kubeVersion?: string;
  kubeVolumes?: string;
  /** --trust-project-config: the project's config file may grant (config/trust.ts) and run its code, for this run. */
  trustProjectConfig?: boolean;
}

/** `werf-run trust [file]`'s own options. */
export interface TrustOptions {
  list?: boolean;
  revoke?: boolean;
}

/** A parse error inside `werf-run doctor ...`: doctor is werf-run's own command, so its answers differ from the program's. */
class DoctorParseError extends Error {
  constructor(readonly commanderError: CommanderError) {
    super(commanderError.message);
  }
}

export type ParsedArgs =
  | { kind: 'werf'; options: CliOptions; werfArgs: string[] }
  | { kind: 'export'; options: CliOptions; werfArgs: string[] }
  | { kind: 'doctor'; options: CliOptions & { json?: boolean } }
  | { kind: 'trust'; options: CliOptions & TrustOptions; file: string | undefined }
  | { kind: 'exit'; exitCode: number };

function buildProgram(version: string, out: { write(text: string): void }, err: { write(text: string): void }): Command {
  const program = new Command('werf-run')
    .description('Run werf in a container, with the least privilege that works on this Docker host.')
    .usage('[werf-run options] <werf command> [werf arguments...]')
    .version(version, '-V, --version', 'print the werf-run version')
    .helpOption('-h, --help', "show werf-run help (werf's own: werf-run <command> --help)")
    .enablePositionalOptions()
    .passThroughOptions()
    .allowExcessArguments(true)
    .argument('[werf...]', 'the werf command and its arguments, passed unchanged');
  addRunOptions(program);
  addOutputOptions(program)
    // Errors are printed once, by cli/main.ts, with their fix.
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s), outputError: () => undefined })
    // `werf-run help build` is werf's help, not ours.
    .helpCommand(false)
    .addHelpText('after', helpAfter())
    // An action on the program makes commander hand unknown words (werf's commands) to it.
    .action(() => undefined)
    .exitOverride();
  addSubcommands(program);
  return program;
}

/** How werf-run reaches the engine and runs werf. */
function addRunOptions(program: Command): void {
  program
    .option('-c, --config <path>', 'config file (default: search .werfrunrc* from here up to the git root)')
    .option('-H, --host <endpoint>', 'Docker endpoint, like DOCKER_HOST (unix://, tcp://, ssh://)')
    .option('--context <name>', 'docker context to use, like DOCKER_CONTEXT')
    .addOption(
      new Option(
        '--mode <mode>',
        'run in this mode only, no recovery to another (auto, the default: choose from the host and recover)',
      ).choices(['auto', ...MODES]),
    )
    .option('--allow-privileged', 'allow the privileged mode when nothing less works')
    .option(
      '--trust-project-config',
      "let the project's config file grant more than the least privilege (privileged, mounts, the socket, ...) and load a .js/.ts config, for this run (also WERF_RUN_TRUST_PROJECT_CONFIG=1; werf-run trust records it)",
    )
    .option(
      '--load',
      "after werf build/converge without --repo: load werf's final images into this engine, so docker images lists them (also WERF_RUN_LOAD=1)",
    )
    .option('--image <reference>', 'werf image reference (overrides group/channel/distro)')
    .addOption(new Option('--pull <policy>', 'when to pull the image').choices([...PULL_POLICIES]))
    .option(
      '--network <mode>',
      'Docker network mode for the werf container (e.g. host; unset: the engine default, host for a loopback registry on a local engine)',
    )
    .addOption(
      new Option(
        '--ci-env <ci>',
        'run werf ci-env before the command, in the same container (auto: in GitLab CI and GitHub Actions)',
      ).choices(['auto', 'gitlab', 'github', 'off']),
    )
    .option('--reprobe', 'ignore the cached facts about this Docker host and probe again')
    .option(
      '--detect <fact=value>',
      'override a detected fact, e.g. fuseDevice=missing (repeatable; keys as in config detect.*)',
      (v: string, prev: string[] = []) => [...prev, v],
    );
}

/** What werf-run prints instead of running (--dry-run, --export), and how much it says. */
function addOutputOptions(program: Command): Command {
  return (
    program
      .option('--dry-run', 'print the plan and an equivalent docker run command; create nothing')
      // An option, not a word: `werf export` is a werf command that werf-run must pass through.
      .addOption(
        new Option('--export <format>', 'print this setup for a CI runner, Compose or Kubernetes (werf command defaults to build)').choices(
          [...EXPORT_FORMATS],
        ),
      )
      .option('--kube-version <version>', 'only with --export kubernetes: the target cluster version (default 1.30)')
      .addOption(new Option('--kube-volumes <kind>', 'only with --export kubernetes: cache volumes').choices([...KUBE_CACHE_KINDS]))
      .option('-v, --verbose', 'show each decision and Engine API call; stack traces on errors')
      // They contradict (only errors, or every decision): commander refuses the pair rather than one silently winning.
      .addOption(new Option('-q, --quiet', "show only werf's output and errors (not with -v)").conflicts('verbose'))
  );
}

/** The text after --help's options: pass-through, examples, settings, exit codes. */
function helpAfter(): string {
  return [
    '',
    'Everything from the werf command on goes to werf unchanged; `--` also ends werf-run options.',
    '',
    'Examples:',
    '  werf-run build --repo registry.example.com/app',
    '  werf-run --mode fuse converge',
    '  werf-run --dry-run build     print the plan and an equivalent docker run; create nothing',
    "  werf-run --load build        build, then load werf's images into this engine (docker images)",
    "  werf-run help build          werf's own help (so is: werf-run build --help)",
    '',
    'Settings, lowest precedence first: defaults, a config file (.werfrunrc*, werfrun.config.*',
    'or the "werfrun" key of package.json, from here up to the git root), WERF_RUN_* variables,',
    'these flags. Every key and variable: werfrunrc.example.json and docs/configuration.md.',
    '',
    "Exit codes: werf's own when werf ran, else",
    ...Object.values(EXIT_CODES).map(({ code, meaning }) => `  ${String(code).padEnd(5)}${meaning.replaceAll('`', '')}`),
  ].join('\n');
}

/** doctor and trust, werf-run's own commands (every other word is werf's). */
function addSubcommands(program: Command): void {
  program
    .command('doctor')
    .description(
      "report what the Docker host can do and the mode werf-run would choose (no arguments; werf-run's options go before doctor)",
    )
    .option('--json', 'print one JSON document')
    .action(() => undefined)
    .exitOverride((error) => {
      throw new DoctorParseError(error);
    });
  program
    .command('trust')
    .description(
      "trust a project's config file as it is now (its grants count, its code may load) until it changes; default: the one found from here up to the git root",
    )
    .argument('[file]', 'the config file')
    .option('--list', 'list the trusted files and whether each is unchanged')
    .option('--revoke', "forget the file's trust")
    .action(() => undefined)
    .exitOverride();
}

/**
 * --kube-version and --kube-volumes set only what --export kubernetes
 * renders: without it they would be accepted and change nothing (pure).
 */
export function kubeFlagsWithoutExport(options: Pick<CliOptions, 'export' | 'kubeVersion' | 'kubeVolumes'>): UsageError | undefined {
  if (options.export === 'kubernetes') return undefined;
  const given = [options.kubeVersion !== undefined && '--kube-version', options.kubeVolumes !== undefined && '--kube-volumes'].filter(
    (f): f is string => Boolean(f),
  );
  if (given.length === 0) return undefined;
  const flags = given.join(' and ');
  return new UsageError(
    `${flags} ${given.length > 1 ? 'are' : 'is'} only for --export kubernetes${options.export ? `, not --export ${options.export}` : ''}`,
    `${options.export ? 'use' : 'add'} --export kubernetes, or drop ${flags}`,
  );
}

/** What commander threw: --help and --version end the run, everything else is a UsageError with its fix. */
function parseFailure(thrown: unknown, program: Command, argv: readonly string[]): ParsedArgs {
  const inDoctor = thrown instanceof DoctorParseError;
  const error = inDoctor ? thrown.commanderError : thrown;
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') {
      return { kind: 'exit', exitCode: 0 };
    }
    // Shown by commander when no werf command was given.
    if (error.code === 'commander.help') throw new UsageError('no werf command given', 'name one, e.g. werf-run build');
    const unknown = error.code === 'commander.unknownOption' ? /unknown option '([^']+)'/.exec(error.message)?.[1] : undefined;
    if (unknown) {
      const own = program.options.flatMap((o) => [o.long, o.short].filter((name): name is string => Boolean(name)));
      const doctor = program.commands.find((c) => c.name() === 'doctor')!;
      const answer = inDoctor
        ? unknownDoctorOption(unknown, [...doctor.options.flatMap((o) => (o.long ? [o.long] : [])), '--help'], own, argv)
        : misplacedOption(argv, unknown, own);
      throw new UsageError(answer.message, answer.remedy);
    }
    if (error.code === 'commander.conflictingOption') {
      throw new UsageError(
        error.message.replace(/^error: /, ''),
        "give one: -q shows only werf's output and errors, -v every decision and Engine API call",
      );
    }
    throw new UsageError(error.message.replace(/^error: /, ''), 'see werf-run --help');
  }
  if (error instanceof InvalidArgumentError) throw new UsageError(error.message, 'see werf-run --help');
  throw error;
}

/** `werf-run trust`: --list and --revoke exclude each other, and --list takes no file. */
function trustArgs(trust: Command, options: CliOptions): ParsedArgs {
  const own = trust.opts<TrustOptions>();
  if (own.list && own.revoke)
    throw new UsageError(
      'trust --list and --revoke do not go together',
      'give one: werf-run trust --list, or werf-run trust --revoke [file]',
    );
  if (own.list && trust.args.length > 0)
    throw new UsageError(`trust --list takes no file, got '${trust.args[0]}'`, 'werf-run trust --list');
  return { kind: 'trust', options: { ...options, ...own }, file: trust.args[0] };
}

export function parseArgs(
  argv: readonly string[],
  version: string,
  out: { write(text: string): void },
  err: { write(text: string): void },
): ParsedArgs {
  const program = buildProgram(version, out, err);
  try {
    program.parse([...argv], { from: 'user' });
  } catch (thrown) {
    return parseFailure(thrown, program, argv);
  }
  const options = program.opts<CliOptions>();
  const unused = kubeFlagsWithoutExport(options);
  if (unused) throw unused;
  const doctor = program.commands.find((c) => c.name() === 'doctor');
  if (doctor && program.args[0] === 'doctor') {
    const extra = doctorArguments(doctor.args);
    if (extra) throw new UsageError(extra.message, extra.remedy);
    return { kind: 'doctor', options: { ...options, ...doctor.opts<{ json?: boolean }>() } };
  }
  const trust = program.commands.find((c) => c.name() === 'trust');
  if (trust && program.args[0] === 'trust') return trustArgs(trust, options);
  const werfArgs = program.args;
  if (options.export) return { kind: 'export', options, werfArgs: werfArgs.length > 0 ? werfArgs : ['build'] };
  if (werfArgs.length === 0) {
    program.outputHelp({ error: true });
    throw new UsageError('no werf command given', 'name one, e.g. werf-run build');
  }
  return { kind: 'werf', options, werfArgs };
}
