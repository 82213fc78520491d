// The provider packages in xpkg/ are in sync with the providers' code, build with the package
// manager's builder, and their CRDs are accepted by a real API server.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageFiles, providerPackages, repoRoot } from './packages.ts';

describe.each(providerPackages)('xpkg/$dir', (p) => {
  it('matches the provider (regenerate with: node --import tsx --conditions=@trellis/source test/providers/packages.ts)', async () => {
    const want = packageFiles(p);
    const dir = join(repoRoot, 'xpkg', p.dir);
    const have = (await readdir(join(dir, 'crds'))).map((f) => `crds/${f}`);
    expect(['crossplane.yaml', ...have].sort()).toEqual(Object.keys(want).sort());
    for (const [path, text] of Object.entries(want)) expect(await readFile(join(dir, path), 'utf8'), path).toBe(text);
  });
});

describe.each(providerPackages)('xpkg/$dir builds', (p) => {
  it("with Trellis's `trellis xpkg build` and upstream's `crossplane xpkg build`", async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { homedir, tmpdir } = await import('node:os');
    const run = promisify(execFile);
    const out = await mkdtemp(join(tmpdir(), 'trellis-xpkg-'));
    try {
      const root = join(repoRoot, 'xpkg', p.dir);
      const mine = await run(process.execPath, [
        join(repoRoot, 'packages/cli/bin/trellis.js'),
        'xpkg',
        'build',
        '-f',
        root,
        '-o',
        join(out, 'trellis.xpkg'),
      ]);
      expect(mine.stdout).toMatch(new RegExp(`^built Provider "trellis-${p.dir}" sha256:[0-9a-f]{64}`));
      const crossplane = join(homedir(), '.cache/trellis/crossplane-v2.3.4/bin/crossplane');
      // Upstream reads examples from ./examples relative to its working directory (the repository's
      // own examples/ would be packaged, and its Helm chart refused): run it from the empty output
      // directory so only the package root counts.
      await run(crossplane, ['xpkg', 'build', '--package-root', root, '-o', join(out, 'upstream.xpkg')], { cwd: out });
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 120_000);
});
