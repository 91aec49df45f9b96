/**
 * Runs once before the integration tests: the engine must answer and the rig
 * must be up. No silent skips: a missing engine fails the whole run loudly.
 * (`npm run test:unit` is the explicit way to run without an engine.)
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default async function setup(): Promise<void> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  if (!existsSync(path.join(root, 'dist', 'cli', 'process.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm run test:integration does it for you)');
  }
  const ping = await execa('docker', ['version', '--format', '{{.Server.Version}}'], { reject: false });
  if (ping.exitCode !== 0) {
    throw new Error(`integration tests need a Docker Engine and none answered (${ping.stderr.trim()}). Run: npm run rig`);
  }
}
