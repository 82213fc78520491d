export type { CommandContext, Output } from './context.ts';
export { ExitCode } from './context.ts';
export { exitCodeFor, main } from './main.ts';
