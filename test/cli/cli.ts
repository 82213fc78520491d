// Runs the trellis CLI in-process (main() with captured output), as the CLI suites do.
import { main } from '@trellis/cli';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Trellis runs `trellis <args>` in-process; `stdin` is what `-` reads. */
export async function trellis(args: string[], opts: { stdin?: string } = {}): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    isTTY: false,
    errIsTTY: false,
    readStdin: async () => opts.stdin ?? '',
  });
  return { code, out, err };
}
