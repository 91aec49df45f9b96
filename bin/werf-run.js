#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import module from 'node:module';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // What commander prints for --version, without loading the CLI.
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  // Node >= 22.1 keeps compiled code between runs; Node 20 has no compile cache and starts without it.
  module.enableCompileCache?.();
  const { runProcess } = await import('../dist/bundle/cli.js');
  await runProcess();
}
