#!/usr/bin/env node
// CommonJS, as is everything a run loads: an ES module entry costs Node's
// start several milliseconds more (its module loader), on every run.
'use strict';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // What commander prints for --version, without loading the CLI.
  process.stdout.write(`${require('../package.json').version}\n`);
} else {
  // The CLI, with its compiled code kept between runs (src/cli/boot.ts).
  void require('../dist/bundle/boot.cjs').boot();
}
