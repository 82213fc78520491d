#!/usr/bin/env -S node --max-semi-space-size=4 --v8-pool-size=1
// The trellis command. In a checkout it runs the TypeScript sources directly (through tsx, with
// sibling packages resolved to their sources); an installed package runs the built dist.
// The shebang's V8 flags keep a long-running control plane small (docs/adr/0015-lean-v8-heap.md):
// a young generation of 4 MiB semi-spaces instead of 16, and one V8 worker thread. `npm start` and
// `npm run trellis` pass the same flags; so does the benchmark (bench/lib/node-flags.ts).
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const source = new URL('../src/main.ts', import.meta.url);
if (existsSync(fileURLToPath(source))) {
  register(pathToFileURL(`${here}source-conditions.js`));
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  const { main } = await import(source.href);
  process.exitCode = await main(process.argv.slice(2));
} else {
  const { main } = await import(new URL('../dist/main.js', import.meta.url).href);
  process.exitCode = await main(process.argv.slice(2));
}
