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
export { renderExport } from './export/render.js';
export { toExportSpec } from './export/spec.js';
export type { ExportSpec } from './export/spec.js';
export { EXPORT_FORMATS } from './export/formats.js';
export type { ExportFormat } from './export/formats.js';
export { exportHint } from './export/ci-hint.js';
export type { ExportHint, ExportHintInput } from './export/ci-hint.js';
export { readContainerSignals, runsInContainer } from './detect/container-signals.js';
