import type { Logger } from '@trellis/sdk';

/** Output is where a command writes: stdout for results, stderr for progress and logs. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** IsTTY reports whether stdout is a terminal. */
  isTTY: boolean;
  /** ErrIsTTY reports whether stderr (where progress goes) is a terminal; spinners only then. */
  errIsTTY?: boolean;
  /** ReadStdin reads all of standard input (for `-` arguments); tests pass a string. */
  readStdin?: () => Promise<string>;
  /**
   * StatusLine coordinates the one line a spinner redraws on stderr: while a spinner owns it,
   * `err` clears the line before writing (logs, warnings) and the spinner redraws after.
   */
  statusLine?: StatusLine;
}

/** A StatusLine is the bottom line of a terminal that a spinner redraws in place. */
export interface StatusLine {
  /** Owner redraws the line after someone else wrote; undefined when no spinner runs. */
  owner: { redraw(): void } | undefined;
  /** Raw writes to stderr without clearing the line (the spinner itself). */
  raw(text: string): void;
}

/** A CommandContext is what main() hands every command: the injected logger and the output. */
export interface CommandContext {
  log: Logger;
  io: Output;
  debug: boolean;
  /** Signal aborts on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

/** ExitCode values are documented in docs/cli.md. */
export const ExitCode = {
  Ok: 0,
  Error: 1,
  Usage: 2,
  /** Validation, test or plan found problems in the input (not a crash). */
  Findings: 3,
  /** Interrupted by SIGINT/SIGTERM (`trellis up` exits 0 after a clean shutdown instead). */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
