#!/usr/bin/env node
// The provider-kubernetes process: what the provider host spawns for an active provider-kubernetes revision.
// In a checkout it runs the TypeScript sources (through tsx, with sibling packages resolved to
// their sources); an installed package runs the built dist.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

const source = new URL('../src/main.ts', import.meta.url);
if (existsSync(fileURLToPath(source))) {
  register(new URL('./source-conditions.js', import.meta.url));
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  const { main } = await import(source.href);
  process.exit(await main());
} else {
  const { main } = await import(new URL('../dist/main.js', import.meta.url).href);
  process.exit(await main());
}
