/**
 * `werf-run trust [file]`, `--list`, `--revoke [file]`: the user's recorded
 * consent to a project's config file as it is now (config/consent.ts). The
 * file's sha256 goes to the user's state directory; a changed file needs
 * trusting again. Prints what the trusted file grants, so the user sees what
 * they allow.
 */
import os from 'node:os';
import path from 'node:path';
import { findConfigFile } from '../config/find.js';
import { loadConfig } from '../config/load.js';
import { projectTrust, readTrustStore, realpathOr, recordTrust, revokeTrust, trustState, trustStoreFile } from '../config/consent.js';
import { isCodeConfig } from '../config/trust.js';
import { UsageError } from '../errors.js';
import { readIfExists } from '../files.js';
import { findProjectRoot } from '../host/project.js';
import type { CliOptions, TrustOptions } from './args.js';
import type { CliContext } from './context.js';

export async function runTrust(ctx: CliContext, options: CliOptions & TrustOptions, given: string | undefined): Promise<number> {
  const uid = process.getuid?.();
  const store = trustStoreFile(ctx.env, os.homedir());
  const out = (line: string): void => void ctx.stdout.write(`${line}\n`);
  if (options.list) {
    const files = Object.entries(readTrustStore(store, uid).files);
    if (files.length === 0) out(`no config file is trusted (${store})`);
    for (const [file, record] of files) {
      const bytes = readIfExists(file);
      const state = bytes === undefined ? 'missing' : trustState(record, bytes) === 'match' ? 'unchanged' : 'changed since: not trusted';
      out(`${file}  sha256:${record.sha256.slice(0, 12)}  trusted ${record.at}  ${state}`);
    }
    return 0;
  }
  const project = await findProjectRoot(ctx.cwd, ctx.env);
  const named = given ?? options.config;
  const file = named ? path.resolve(ctx.cwd, named) : await findConfigFile(ctx.cwd, project.root);
  if (!file) {
    throw new UsageError(`no werf-run config file found from ${ctx.cwd} up to ${project.root}`, 'name the file: werf-run trust PATH');
  }
  if (options.revoke) {
    if (!revokeTrust(store, file, uid)) throw new UsageError(`${file} is not trusted`, 'werf-run trust --list shows the trusted files');
    out(`revoked the trust of ${realpathOr(file)}`);
    return 0;
  }
  // What it grants, read as a run would, but with consent: the user is about to give it (a code file is not run to find out).
  let what = 'it is code: werf-run will load (run) it on this machine';
  if (!isCodeConfig(file)) {
    const check = { ...projectTrust({ env: ctx.env, home: os.homedir(), uid, flag: true, projectRoot: project.root }) };
    const loaded = await loadConfig({
      cwd: ctx.cwd,
      stopDir: project.root,
      explicitPath: file,
      trust: { check, projectRoot: project.root },
    });
    const grants = loaded.consented?.grants ?? [];
    what =
      grants.length === 0
        ? 'it grants nothing beyond the least privilege'
        : `its grants now count: ${grants.map((g) => `${g.key} ${g.value} (${g.grants})`).join('; ')}`;
  }
  const { file: trusted, record } = recordTrust(store, file, uid, new Date());
  out(`trusted ${trusted} (sha256 ${record.sha256.slice(0, 12)}…) as it is now: ${what}. A change to it needs werf-run trust again.`);
  return 0;
}
