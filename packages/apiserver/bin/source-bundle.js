// A precompiled start path for running the TypeScript sources of a checkout with no build step.
//
// Importing the sources through tsx resolves and transpiles ~100 modules through loader hooks on
// every start (about 2 s of a server restart on a loaded machine). Instead, the first start
// bundles the entry point and the @trellis/* sources it reaches into one ES module with esbuild
// (a dependency of tsx), under node_modules/.cache/trellis-start/ next to this package, and
// records every input file's size and mtime. Later starts check those (one stat per file) and
// import the bundle; a changed, added or removed input means a rebuild. Third-party packages stay
// external imports, resolved from node_modules as usual.
//
// importSourceBundle returns undefined when it cannot help (esbuild missing, a build error, a
// read-only tree): the caller then falls back to tsx, so a problem here never stops a start.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const FORMAT = 1;

/** ImportSourceBundle imports `entry` (a .ts file) from a cached bundle, building it when stale. */
export async function importSourceBundle(entry, name) {
  const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const cacheDir = join(packageRoot, 'node_modules', '.cache', 'trellis-start');
  const manifestPath = join(cacheDir, `${name}.json`);
  const fresh = readFreshManifest(manifestPath, entry);
  if (fresh !== undefined) {
    const mod = await importBundle(join(cacheDir, fresh.bundle));
    if (mod !== undefined) return mod;
  }
  const built = await build(entry, cacheDir, name);
  if (built === undefined) return undefined;
  try {
    writeAtomic(manifestPath, JSON.stringify(built.manifest));
  } catch {
    return undefined;
  }
  removeStaleBundles(cacheDir, name, built.manifest.bundle);
  return importBundle(join(cacheDir, built.manifest.bundle));
}

/** ImportBundle imports a bundle file, or returns undefined when it is gone (removed as stale by a concurrent rebuild). */
async function importBundle(path) {
  let url;
  try {
    statSync(path);
    url = pathToFileURL(path).href;
  } catch {
    return undefined;
  }
  return import(url);
}

/** RemoveStaleBundles deletes this entry's older bundles that are more than an hour old (no start still loading them). */
function removeStaleBundles(cacheDir, name, keep) {
  try {
    for (const f of readdirSync(cacheDir)) {
      if (f === keep || !f.startsWith(`${name}-`) || !(f.endsWith('.mjs') || f.endsWith('.tmp'))) continue;
      const path = join(cacheDir, f);
      if (Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { force: true });
    }
  } catch {
    // A cache directory we cannot list or clean only costs disk space.
  }
}

function readFreshManifest(path, entry) {
  let m;
  try {
    m = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  if (m?.format !== FORMAT || m.entry !== entry || m.node !== process.version || typeof m.inputs !== 'object') return undefined;
  for (const [file, [size, mtimeMs]] of Object.entries(m.inputs)) {
    try {
      const st = statSync(file);
      if (st.size !== size || st.mtimeMs !== mtimeMs) return undefined;
    } catch {
      return undefined;
    }
  }
  // A new file in a bundled directory (an added module) changes an importer, whose stat differs.
  return m;
}

async function build(entry, cacheDir, name) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return undefined;
  }
  try {
    // Each input's size and mtime are taken before it is read: an edit during the build leaves a
    // manifest that no longer matches, so the next start rebuilds.
    const inputs = {};
    const plugin = {
      name: 'trellis-sources',
      setup(b) {
        // Bundle the workspace's own sources; import everything else from node_modules.
        b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@trellis/') ? undefined : { path: args.path, external: true }));
        b.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
          const st = statSync(args.path);
          inputs[args.path] = [st.size, st.mtimeMs];
          return { contents: readFileSync(args.path, 'utf8'), loader: /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js' };
        });
      },
    };
    const res = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node.split('.')[0]}`,
      conditions: ['@trellis/source'],
      plugins: [plugin],
      sourcemap: 'inline',
      sourcesContent: false,
      logLevel: 'silent',
    });
    const out = res.outputFiles[0];
    if (out === undefined) return undefined;
    const hash = createHash('sha256').update(out.contents).digest('hex').slice(0, 16);
    const bundle = `${name}-${hash}.mjs`;
    mkdirSync(cacheDir, { recursive: true });
    writeAtomic(join(cacheDir, bundle), out.contents);
    return { manifest: { format: FORMAT, entry, node: process.version, bundle, inputs } };
  } catch {
    return undefined;
  }
}

function writeAtomic(path, data) {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
