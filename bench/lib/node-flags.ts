// The V8 flags the `trellis` command runs with, read from its shebang
// (`#!/usr/bin/env -S node FLAG...`, packages/cli/bin/trellis.js), so that the benchmark runs the
// engine process as the product runs it and the flags live in one place (docs/adr/0015-lean-v8-heap.md).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const trellisBin = resolve(import.meta.dirname, '../../packages/cli/bin/trellis.js');

/** ShebangNodeFlags returns the node flags of a `#!/usr/bin/env -S node FLAG...` first line. */
export function shebangNodeFlags(script: string, source = 'the script'): string[] {
  const first = script.split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env(?: -S)? node((?: --[a-z0-9-]+(?:=\S+)?)*)\s*$/.exec(first);
  if (m === null) throw new Error(`${source}: first line ${JSON.stringify(first)} is not "#!/usr/bin/env -S node [--flag...]"`);
  return (m[1] ?? '').split(' ').filter((f) => f !== '');
}

/** TrellisNodeFlags returns the node flags of the trellis command (its shebang). */
export function trellisNodeFlags(): string[] {
  return shebangNodeFlags(readFileSync(trellisBin, 'utf8'), trellisBin);
}
