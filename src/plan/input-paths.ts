/**
 * werf's flags and variables that name INPUT files on this host, and what
 * becomes of each in the container (decided here, purely; host/input-paths.ts
 * reads the files). Names and forms from werf/werf at 73d8d4a:
 * - `--values`, `--secret-values`, `--set-file` (cmd/werf/common/common.go:1181,1200,1184):
 *   string arrays (repeatable); `--set-file` takes key=path[,key=path]. Their variables
 *   are WERF_VALUES_*, WERF_SECRET_VALUES_*, WERF_SET_FILE_* (cmd/werf/common/cmd_data.go:397-403).
 * - `--ssh-key` (common.go:172): a string array; WERF_SSH_KEY_* is forwarded by host/host-files.ts.
 * - `--docker-config` (common.go:594-609, default $WERF_DOCKER_CONFIG): one directory.
 * - `--home-dir`, `--tmp-dir` (common.go:167,122): one directory each.
 *
 * A path inside the project is left as is (the project is mounted at its own
 * path); a values URL too. A file outside it is handed in under the image
 * user's home and werf's argument or variable names that copy. The directory
 * flags are dropped, as their variables are (plan/werf-in-container.ts):
 * werf keeps its home and temporary files in the werf-run volumes, and finds
 * the handed-in registry credentials in its default ~/.docker.
 */
import path from 'node:path';
import { isInside } from './paths.js';

type Kind = 'values' | 'secret-values' | 'set-file' | 'ssh-key';
const FILE_FLAGS: readonly Kind[] = ['values', 'secret-values', 'set-file', 'ssh-key'];
const DIR_FLAGS = ['docker-config', 'home-dir', 'tmp-dir'] as const;
const VAR_PREFIXES: readonly [string, Kind][] = [
  ['WERF_SECRET_VALUES_', 'secret-values'],
  ['WERF_VALUES_', 'values'],
  ['WERF_SET_FILE_', 'set-file'],
];

/** One host file werf reads, to hand in. */
interface InputFile {
  /** Where werf named it: `--values` or a variable's name. */
  via: string;
  /** As the user wrote it. */
  given: string;
  /** Absolute on this host. */
  host: string;
  /** Absolute in the container. */
  target: string;
  /** Secret values and ssh keys: mode 0600 and never printed. */
  secret: boolean;
}

export interface InputPaths {
  werfArgs: string[];
  /** Variables rewritten to the handed-in copies. */
  env: Record<string, string>;
  files: InputFile[];
  notes: string[];
}

const isUrl = (value: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(value);

type MapValue = (via: string, value: string, kind: Kind) => string;

/** Maps one flag's or variable's value, recording each outside file once in `out`. */
function valueMapper(input: { cwd: string; projectRoot: string; home: string }, out: InputPaths): MapValue {
  const byHost = new Map<string, string>();
  const mapPath = (via: string, given: string, kind: Kind): string => {
    if (kind !== 'ssh-key' && isUrl(given)) return given;
    const host = path.resolve(input.cwd, given);
    if (isInside(input.projectRoot, host)) return given;
    const secret = kind === 'secret-values' || kind === 'ssh-key';
    // One copy per file and mode: a file given both as values and as secret values gets a 0600 copy too.
    const key = `${secret}:${host}`;
    let target = byHost.get(key);
    if (!target) {
      target = path.posix.join(input.home, '.werf-run', 'inputs', `${out.files.length + 1}-${path.basename(host)}`);
      byHost.set(key, target);
      out.files.push({ via, given, host, target, secret });
      out.notes.push(`${via} ${given}: outside the project, handed to werf as ${target} (mode ${secret ? '0600' : '0644'})`);
    }
    return target;
  };
  // --set-file's value is key=path[,key=path] (common.go:1184).
  return (via, value, kind) =>
    kind === 'set-file'
      ? value
          .split(',')
          .map((pair) => {
            const eq = pair.indexOf('=');
            return eq < 0 ? pair : `${pair.slice(0, eq + 1)}${mapPath(via, pair.slice(eq + 1), kind)}`;
          })
          .join(',')
      : mapPath(via, value, kind);
}

/** werf's arguments with the file flags mapped and the directory flags dropped; nothing after `--`. */
function rewriteArgs(args: readonly string[], mapValue: MapValue, out: InputPaths): void {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      out.werfArgs.push(...args.slice(i));
      return;
    }
    const eq = arg.indexOf('=');
    const name = !arg.startsWith('--') ? undefined : eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const inline = name !== undefined && eq >= 0 ? arg.slice(eq + 1) : undefined;
    const kind = FILE_FLAGS.find((k) => k === name);
    const dirFlag = DIR_FLAGS.find((d) => d === name);
    const value = inline ?? (kind || dirFlag ? args[i + 1] : undefined);
    if ((!kind && !dirFlag) || value === undefined) {
      out.werfArgs.push(arg);
      continue;
    }
    if (inline === undefined) i++;
    if (dirFlag) {
      out.notes.push(
        dirFlag === 'docker-config'
          ? `--docker-config ${value} not passed: werf-run reads the registry credentials of ${value}/config.json and hands them in at werf's default ~/.docker`
          : `--${dirFlag} ${value} not passed: in the container werf keeps its home and temporary files in the werf-run volumes`,
      );
      continue;
    }
    const mapped = mapValue(`--${kind}`, value, kind!);
    out.werfArgs.push(...(inline === undefined ? [arg, mapped] : [`--${kind}=${mapped}`]));
  }
}

/**
 * The directory werf's `--docker-config` names, resolved against `cwd`: the
 * last one given, as cobra keeps it; nothing after `--`. Its config.json is
 * where werf reads registry credentials, before $WERF_DOCKER_CONFIG and
 * $DOCKER_CONFIG (the flag's default: common.go:594-609 SetupDockerConfig).
 */
export function dockerConfigFlag(werfArgs: readonly string[], cwd: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < werfArgs.length; i++) {
    const arg = werfArgs[i]!;
    if (arg === '--') break;
    if (arg.startsWith('--docker-config=')) found = arg.slice('--docker-config='.length);
    else if (arg === '--docker-config' && werfArgs[i + 1] !== undefined) found = werfArgs[++i];
  }
  return found ? path.resolve(cwd, found) : undefined;
}

export function inputPaths(input: {
  werfArgs: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  projectRoot: string;
  /** The image user's home: copies go to <home>/.werf-run/inputs. */
  home: string;
}): InputPaths {
  const out: InputPaths = { werfArgs: [], env: {}, files: [], notes: [] };
  const mapValue = valueMapper(input, out);
  rewriteArgs(input.werfArgs, mapValue, out);
  for (const [name, value] of Object.entries(input.env)) {
    if (!value) continue;
    const kind = VAR_PREFIXES.find(([prefix]) => name.startsWith(prefix) && name.length > prefix.length)?.[1];
    if (!kind) continue;
    const mapped = mapValue(name, value, kind);
    if (mapped !== value) out.env[name] = mapped;
  }
  return out;
}
