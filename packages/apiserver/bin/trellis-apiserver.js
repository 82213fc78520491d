#!/usr/bin/env node
// Runs the embedded API server as its own process (tests, benchmarks, crash tests):
//   trellis-apiserver --data-dir DIR [--port N] [--host H] [--no-tls] [--no-fsync]
//                     [--bookmark-interval-ms N] [--history-size N] [--snapshot-bytes N] [--debug]
// When ready it prints one JSON line to stdout: {"ready":true,"url":...,"kubeconfigPath":...,"token":...,"recovery":{...}}.
// SIGTERM/SIGINT stop it cleanly. In a checkout it runs the TypeScript sources: from a cached
// bundle of them (source-bundle.js, rebuilt when a source changes), else through tsx.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { importSourceBundle } from './source-bundle.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const source = new URL('../src/main.ts', import.meta.url);
let mod;
if (existsSync(fileURLToPath(source))) {
  mod = process.env.TRELLIS_NO_SOURCE_BUNDLE === '1' ? undefined : await importSourceBundle(fileURLToPath(source), 'trellis-apiserver');
  if (mod === undefined) {
    register(pathToFileURL(`${here}source-conditions.js`));
    const { register: registerTsx } = await import('tsx/esm/api');
    registerTsx();
    mod = await import(source.href);
  }
} else {
  mod = await import(new URL('../dist/main.js', import.meta.url).href);
}
process.exitCode = await mod.main(process.argv.slice(2));
