#!/usr/bin/env node
// The trellis command. In a checkout it runs the TypeScript sources directly (through tsx, with
// sibling packages resolved to their sources); an installed package runs the built dist.
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
