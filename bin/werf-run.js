#!/usr/bin/env node
// Node >= 22.1 keeps compiled code between runs; Node 20 has no compile cache and starts without it.
import module from 'node:module';

module.enableCompileCache?.();
const { runProcess } = await import('../dist/bundle/cli.js');
await runProcess();
