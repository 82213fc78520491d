#!/usr/bin/env node
// Prepare the real parts the tests need. Runs every `test/infra/<part>/prepare.sh` in name order;
// each step builds or installs what is missing and is a no-op when its cache is warm. Prints how
// long each step took. Set TRELLIS_SKIP_PREPARE=1 to skip (the suites then say what is missing).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
if (process.env.TRELLIS_SKIP_PREPARE === '1') {
  console.log('prepare: skipped (TRELLIS_SKIP_PREPARE=1)');
  process.exit(0);
}
const steps = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'prepare.sh')))
  .map((d) => d.name)
  .sort();
const t0 = Date.now();
for (const step of steps) {
  const started = Date.now();
  console.log(`prepare: ${step}: start`);
  const r = spawnSync('bash', [join(here, step, 'prepare.sh')], { stdio: 'inherit' });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    console.error(`prepare: ${step}: FAILED after ${secs}s (exit ${r.status})`);
    process.exit(1);
  }
  console.log(`prepare: ${step}: done in ${secs}s`);
}
console.log(`prepare: all steps done in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
