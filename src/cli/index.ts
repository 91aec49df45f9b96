export { main } from './main.js';
export type { CliContext } from './context.js';
