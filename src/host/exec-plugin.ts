/**
 * Runs a kubeconfig's exec plugin on this host as kubectl does
 * (kubernetes/client-go plugin/pkg/client/auth/exec/exec.go refreshCredsLocked):
 * this process's environment plus the plugin's own variables and
 * KUBERNETES_EXEC_INFO; its stderr goes to ours (prompts, browser links);
 * stdin only when interactive; stdout is the ExecCredential.
 */
import { UsageError } from '../errors.js';
import type { CredentialOwner, ExecRequest } from '../plan/exec-credential.js';

export async function runExecPlugin(
  request: ExecRequest,
  owner: CredentialOwner,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string> {
  // Loaded here, not at start-up: execa costs about 70 ms to import and most runs need no plugin.
  const { execa } = await import('execa');
  const result = await execa(request.command, request.args, {
    env: { ...env, ...request.env },
    extendEnv: false,
    stdin: request.interactive ? 'inherit' : 'ignore',
    stderr: 'inherit',
    reject: false,
    encoding: 'utf8',
    stripFinalNewline: false,
  });
  const what = `the exec plugin "${request.command}" of the kubeconfig user "${owner.user}" in ${owner.where}`;
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new UsageError(
      `${what} is not installed here (exec: executable ${request.command} not found)`,
      `install ${request.command} on this host (werf-run runs it here and hands werf its token), or give werf a token-based kubeconfig`,
    );
  }
  if (result.exitCode !== 0) {
    // Its stderr went to the terminal already; stdout may hold a partial secret: never quoted.
    throw new UsageError(
      `${what} failed with exit code ${result.exitCode ?? result.signal} (exec: executable ${request.command} failed)`,
      `run it yourself to see why, and log in again: ${[request.command, ...request.args].join(' ')}`,
    );
  }
  return String(result.stdout ?? '');
}
