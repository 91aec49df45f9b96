/** Wires the real process into the CLI: streams, env, the dockerode adapter. */
import { readFileSync } from 'node:fs';
import { DockerodeEngine } from '../engine/dockerode.js';
import { main } from './main.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export async function runProcess(): Promise<void> {
  process.exitCode = await main({
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.cwd(),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    version: pkg.version,
    openEngine: (endpoint) => new DockerodeEngine(endpoint),
  });
}
