export type { CommandContext, Output } from './context.ts';
export { ExitCode } from './context.ts';
export { buildCli, editDistance, exitCodeFor, main } from './main.ts';
