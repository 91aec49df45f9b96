/**
 * Files werf reads where the user names them on this host (`--values`,
 * `--secret-values`, `--set-file`, `--ssh-key` and their WERF_* variables):
 * one outside the project is read here and handed in through the archive
 * API, and werf's argument or variable names the copy; `--docker-config`,
 * `--home-dir` and `--tmp-dir` are dropped. The decisions are plan/input-paths.ts's.
 */
import { UsageError } from '../errors.js';
import { inputPaths } from '../plan/input-paths.js';
import { handover, type Handover } from './handover.js';

export function inputFiles(input: {
  werfArgs: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  projectRoot: string;
  /** The image user's home. */
  home: string;
  /** A file's bytes, undefined when it does not exist (files.ts readIfExists). */
  read: (file: string) => Buffer | undefined;
}): Handover {
  const decided = inputPaths(input);
  const files = decided.files.map((file) => {
    const content = input.read(file.host);
    if (content === undefined) {
      throw new UsageError(
        `werf's ${file.via} names ${file.given}, which does not exist on this host (${file.host})`,
        `give ${file.via} the path of a file here (werf-run hands it in), or leave it out`,
      );
    }
    return { path: file.target, content, mode: file.secret ? 0o600 : 0o644, secret: file.secret };
  });
  const rewritten = decided.werfArgs.length !== input.werfArgs.length || decided.werfArgs.some((a, i) => a !== input.werfArgs[i]);
  return handover({ files, env: decided.env, werfArgs: rewritten ? decided.werfArgs : undefined, notes: decided.notes });
}
