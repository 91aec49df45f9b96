/**
 * A throwaway second dockerd with a private, empty /tmp (private-tmp-dockerd.sh):
 * an engine whose host cannot see the projects the tests make under /tmp.
 * Its own dir is under /var/tmp; stop() stops it and removes the dir.
 */
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { startScriptDockerd, type PrivateEngine } from './private-dev.js';

export interface PrivateTmpEngine extends PrivateEngine {
  log(): string;
}

const SCRIPT = path.join(path.dirname(new URL(import.meta.url).pathname), 'private-tmp-dockerd.sh');

export async function startPrivateTmpEngine(): Promise<PrivateTmpEngine> {
  return startScriptDockerd(SCRIPT, mkdtempSync('/var/tmp/werf-run-it-engine-tmp-'), [], 'the private-/tmp engine');
}
