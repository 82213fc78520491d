// Fuzz and regression cases that must run in their own process: inputs that once crashed the
// whole process (a fatal V8 out-of-memory after a stack overflow cannot be caught), so a
// regression fails one test instead of killing the test worker. Prints one JSON line per call
// and exits 0 when every call returned or failed with a TrellisError, 1 otherwise.
//
//   node --conditions=@trellis/source --import tsx test/fuzz/cases.ts <case> [seed] [runs]
import { parseGoYamlDocuments } from '@trellis/engine';
import { TrellisError } from '@trellis/sdk';
import { parseLockfile, parsePackageStream } from '@trellis/xpkg';
import * as fc from 'fast-check';
import { parseObjects } from '../../packages/cli/src/input/load.ts';

const deep = (d: number): string => `${'['.repeat(d)}${']'.repeat(d)}`;

const parsers: Record<string, (text: string) => unknown> = {
  goyaml: (t) => parseGoYamlDocuments(t, 'fuzz input'),
  cli: (t) => parseObjects(t, 'fuzz.yaml', { what: 'resources', requireKind: true }),
  package: (t) => parsePackageStream(t, 'package.yaml', { maxBytes: 1 << 20, maxDocuments: 1000 }),
  lockfile: (t) => parseLockfile(t, 'trellis.lock'),
};

let clean = true;
function call(parser: string, input: string, what: string): void {
  const fn = parsers[parser];
  if (fn === undefined) throw new Error(`unknown parser ${parser}`);
  try {
    fn(input);
    console.log(JSON.stringify({ parser, what, ok: true }));
  } catch (err) {
    const ok = err instanceof TrellisError && !err.message.includes('\n');
    if (!ok) clean = false;
    console.log(
      JSON.stringify({
        parser,
        what,
        ok: false,
        clean: ok,
        code: err instanceof TrellisError ? err.code : undefined,
        error: err instanceof Error ? `${err.name}: ${err.message.slice(0, 200)}` : String(err),
      }),
    );
  }
}

/** Nesting builds the hostile shapes: flow and block nesting, and alias expansion ("billion laughs"). */
function nesting(levels: number, fan: number, depth: number): [string, string][] {
  const lines = ['a0: &a0 [x, y, z]'];
  for (let l = 1; l <= levels; l++) lines.push(`a${l}: &a${l} [${Array.from({ length: fan }, () => `*a${l - 1}`).join(', ')}]`);
  return [
    [`alias bomb ${levels}x${fan}`, lines.join('\n')],
    [`flow sequences ${depth} deep`, deep(depth)],
    [`block sequences ${Math.min(depth, 3000)} deep`, `${'- '.repeat(Math.min(depth, 3000))}x`],
    [`flow mappings ${depth} deep`, `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`],
  ];
}

const [kind = '', seedArg = '1', runsArg = '10'] = process.argv.slice(2);
switch (kind) {
  // Regression: package.yaml nested 2,000 levels deep. The yaml library overflows the stack while
  // V8 compiles one of its regular expressions; the next parse then dies with "FATAL ERROR:
  // RegExpCompiler Allocation failed - process out of memory" (found by test/fuzz/yaml.test.ts).
  case 'package-deep':
  case 'lockfile-deep':
  case 'goyaml-deep':
  case 'cli-deep':
    for (let i = 1; i <= 3; i++) call(kind.replace(/-deep$/, ''), deep(2000), `flow sequences 2000 deep, parse ${i}`);
    break;
  // The same for every parser in one process (one Node start instead of four; a parser that
  // leaves V8 broken also fails the ones after it, which the per-parser lines then show).
  case 'all-deep':
    for (const p of Object.keys(parsers)) for (let i = 1; i <= 3; i++) call(p, deep(2000), `flow sequences 2000 deep, parse ${i}`);
    break;
  // The property: random hostile nesting through every parser, in this process.
  case 'nesting':
    // biome-ignore lint/nursery/noFloatingPromises: fc.assert of a synchronous IProperty returns void, not a Promise
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 2, max: 12 }),
        fc.integer({ min: 1, max: 3000 }),
        (levels, fan, depth) => {
          for (const [what, text] of nesting(levels, fan, depth)) for (const p of Object.keys(parsers)) call(p, text, what);
          return clean;
        },
      ),
      { seed: Number(seedArg), numRuns: Number(runsArg), endOnFailure: true },
    );
    break;
  default:
    throw new Error(`unknown case "${kind}"`);
}
process.exitCode = clean ? 0 : 1;
