import { TrellisError } from '@trellis/sdk';

/**
 * StdinArg stands for a bare `-` argument (standard input): the option parser drops a bare `-`,
 * so main() swaps it for this marker before parsing and the loaders read stdin when they see it.
 */
export const StdinArg = '\u0000stdin';

/** IsStdinArg reports whether a path argument means standard input. */
export function isStdinArg(path: string): boolean {
  return path === '-' || path === StdinArg;
}

/** MaxStdinBytes bounds standard input: 32 MiB. */
export const MaxStdinBytes = 32 * 1024 * 1024;

/** ReadProcessStdin reads all of standard input, refusing more than MaxStdinBytes. */
export async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of process.stdin) {
    const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    n += b.length;
    if (n > MaxStdinBytes)
      throw new TrellisError('CLI_USAGE', `cannot read standard input: it is over the limit of ${MaxStdinBytes / 1024 / 1024} MiB`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}
