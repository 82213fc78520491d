/**
 * The trellis command's V8 flags (docs/adr/0015-lean-v8-heap.md): one list, in the shebang of
 * packages/cli/bin/trellis.js, that `npm start`, `npm run trellis` and the benchmark's engine
 * process use too; node accepts them and they bound the young generation.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { shebangNodeFlags, trellisBin, trellisNodeFlags } from '../../bench/lib/node-flags.ts';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

describe('the trellis command runs node with lean V8 flags', () => {
  it('has a young generation of 4 MiB semi-spaces and one V8 worker thread in its shebang', () => {
    expect(trellisNodeFlags()).toEqual(['--max-semi-space-size=4', '--v8-pool-size=1']);
  });

  it('passes the same flags in npm start and npm run trellis (started with node, the shebang is not read)', () => {
    const scripts = (JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const flags = trellisNodeFlags().join(' ');
    expect(scripts.start).toBe(`node ${flags} packages/cli/bin/trellis.js up`);
    expect(scripts.trellis).toBe(`node ${flags} packages/cli/bin/trellis.js`);
  });

  it('runs as an executable through its shebang (env -S splits the flags)', async () => {
    const r = await run(trellisBin, ['version'], { cwd: root });
    expect(r.stdout).toMatch(/^trellis \d+\.\d+\.\d+/);
  });

  it('keeps the young generation at two semi-spaces of 4 MiB under allocation churn (16 MiB each without the flags)', async () => {
    // Short-lived garbage with some survivors grows the new space to its maximum.
    const churn = `
      const v8 = require('node:v8'); const keep = [];
      for (let r = 0; r < 150; r++) { const a = []; for (let i = 0; i < 50000; i++) a.push({ i, s: 'x' + i }); keep.push(a.slice(0, 500)); }
      const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
      console.log(ns.space_size);`;
    const size = async (flags: string[]): Promise<number> => Number((await run(process.execPath, [...flags, '-e', churn])).stdout.trim());
    expect(await size(trellisNodeFlags())).toBeLessThanOrEqual(8 * 2 ** 20);
    expect(await size([])).toBeGreaterThan(8 * 2 ** 20);
  });
});

describe('shebangNodeFlags', () => {
  const cases: { reason: string; line: string; want?: string[]; error?: RegExp }[] = [
    { reason: 'flags after env -S node', line: '#!/usr/bin/env -S node --a=1 --b', want: ['--a=1', '--b'] },
    { reason: 'plain node shebang has no flags', line: '#!/usr/bin/env node', want: [] },
    { reason: 'trailing spaces are not a flag', line: '#!/usr/bin/env -S node --a=1  ', want: ['--a=1'] },
    { reason: 'no shebang', line: '// a comment', error: /is not "#!\/usr\/bin\/env -S node/ },
    { reason: 'another interpreter', line: '#!/usr/bin/env -S deno --a', error: /is not/ },
    { reason: 'a script argument, not a flag', line: '#!/usr/bin/env -S node --a script.js', error: /is not/ },
    { reason: 'empty file', line: '', error: /first line "" is not/ },
  ];
  for (const c of cases) {
    it(c.reason, () => {
      const text = `${c.line}\nconsole.log(1);\n`;
      if (c.error !== undefined) expect(() => shebangNodeFlags(text, 'x.js')).toThrow(c.error);
      else expect(shebangNodeFlags(text, 'x.js')).toEqual(c.want);
    });
  }
});
