/** werf-run's public API: the CLI entry and the pure pieces others may reuse. */
export { main } from './cli/index.js';
export type { CliContext } from './cli/index.js';
export { plan } from './plan/plan.js';
export type { PlanInput, RunPlan } from './plan/plan.js';
export { resolveImageRef } from './plan/image.js';
export { dockerRunCommand } from './plan/docker-command.js';
export { classify, SIGNATURES } from './recover/signatures.js';
export { configSchema } from './config/schema.js';
export type { Config, ConfigInput, Mode } from './config/schema.js';
export type { Engine } from './engine/port.js';
