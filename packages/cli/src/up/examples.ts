import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseGoYamlDocuments } from '@trellis/engine';
import type { KubeClient } from '@trellis/kube';
import { type KubeObject, TrellisError, wrap } from '@trellis/sdk';
import { type Artifact, buildPackage, FsContentCache, type Image, parseReference } from '@trellis/xpkg';
import type { Progress } from '../ui/progress.ts';

/**
 * `trellis up --with-examples` installs the demo platform from the source checkout: Trellis's
 * own providers (built from xpkg/provider-* into the package manager's cache and installed as
 * Providers that are never pulled from a registry), the XRDs and Compositions of every example,
 * and the demo ProviderConfigs (provider-kubernetes pointed at the control plane itself), so an
 * example claim becomes Ready without any service outside the machine.
 */

/** RepoRoot is the source checkout this CLI runs from. */
export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** DemoRegistry names the providers' packages in the cache (never contacted: pull policy Never). */
export const DemoRegistry = 'xpkg.trellis.dev/trellis';

export const DemoProviders = ['provider-kubernetes', 'provider-sql', 'provider-http'] as const;

/** DemoProviderConfigs are applied once the providers serve their kinds. */
const DemoProviderConfigs = 'examples/multi-cluster-app/demo/provider-configs.yaml';

export interface ExamplesOptions {
  client: KubeClient;
  dataDir: string;
  version: string;
  progress: Progress;
  signal: AbortSignal;
  /** TimeoutMs bounds each wait (default 120 s). */
  timeoutMs?: number;
  /**
   * StartedAt is when this `trellis up` started: a provider's RuntimeHealthy that last changed
   * before it is left from an earlier run on the same data dir. Set it only when the API server
   * shares this machine's clock (the embedded one); unset, any RuntimeHealthy True counts.
   */
  startedAt?: Date;
}

const manager = 'trellis-up-examples';

/** SeedPackage writes a built package into the content cache under `ref`, as a pull would have. */
export async function seedPackage(cache: FsContentCache, ref: string, artifact: Artifact): Promise<void> {
  const r = parseReference(ref);
  const put = async (img: Image): Promise<void> => {
    await cache.putBlob(img.config.digest, img.config.data);
    for (const l of img.layers) await cache.putBlob(l.digest, l.data);
    await cache.putBlob(img.digest, img.manifestBytes);
  };
  if (artifact.kind === 'image') await put(artifact);
  else {
    for (const img of artifact.images) await put(img);
    await cache.putBlob(artifact.digest, artifact.indexBytes);
  }
  const tag = r.tag ?? 'latest';
  await cache.putTag(r.registry, r.repository, tag, artifact.digest);
  const known = (await cache.getTags(r.registry, r.repository)) ?? [];
  if (!known.includes(tag)) await cache.putTags(r.registry, r.repository, [...known, tag].sort());
}

async function apply(client: KubeClient, o: KubeObject, signal: AbortSignal): Promise<void> {
  try {
    await client.apply(o, { fieldManager: manager, force: true, signal });
  } catch (err) {
    throw wrap(err, `cannot apply ${o.kind} "${o.metadata.name ?? ''}"`);
  }
}

async function poll(what: string, check: () => Promise<boolean>, signal: AbortSignal, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    if (signal.aborted) throw new TrellisError('CLI_INTERRUPTED', 'interrupted');
    try {
      if (await check()) return;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new TrellisError(
        'CLI_UP_EXAMPLES',
        `timed out after ${timeoutMs / 1000}s waiting for ${what}`,
        last === undefined ? {} : { cause: last },
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function condTrue(o: KubeObject | undefined, type: string): boolean {
  const c = (o?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
  return c.some((x) => x.type === type && x.status === 'True');
}

/**
 * RuntimeHealthy reports whether the process of a Provider's current revision runs and said it is
 * ready (in this run: RuntimeHealthy True since `since`, when given; lastTransitionTime has whole seconds).
 */
async function runtimeHealthy(client: KubeClient, provider: string, since: Date | undefined, signal: AbortSignal): Promise<boolean> {
  const p = await client.getIfExists({ apiVersion: 'pkg.crossplane.io/v1', kind: 'Provider', name: provider }, { signal });
  const rev = (p?.status as { currentRevision?: string } | undefined)?.currentRevision;
  if (rev === undefined || rev === '') return false;
  const r = await client.getIfExists({ apiVersion: 'pkg.crossplane.io/v1', kind: 'ProviderRevision', name: rev }, { signal });
  const conds = (r?.status as { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } | undefined)?.conditions;
  const c = conds?.find((x) => x.type === 'RuntimeHealthy');
  if (c?.status !== 'True') return false;
  if (since === undefined) return true;
  const at = Date.parse(c.lastTransitionTime ?? '');
  return Number.isNaN(at) || at >= Math.floor(since.getTime() / 1000) * 1000;
}

/** ExampleObjects reads the XRDs and Compositions of every example directory. */
export async function exampleObjects(root = repoRoot): Promise<KubeObject[]> {
  const dir = join(root, 'examples');
  const out: KubeObject[] = [];
  for (const name of (await readdir(dir)).sort()) {
    for (const file of ['xrd.yaml', 'composition.yaml']) {
      const p = join(dir, name, file);
      if (!existsSync(p)) continue;
      for (const d of parseGoYamlDocuments(await readFile(p, 'utf8'), p)) out.push(d as KubeObject);
    }
  }
  return out;
}

/** InstallExamples installs the demo platform and waits until it is ready to take claims. */
export async function installExamples(o: ExamplesOptions): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 120_000;
  if (!existsSync(join(repoRoot, 'examples')) || !existsSync(join(repoRoot, 'xpkg'))) {
    throw new TrellisError(
      'CLI_USAGE',
      `--with-examples needs the Trellis source checkout (examples/ and xpkg/ next to packages/); not found under ${repoRoot}`,
    );
  }
  const version = o.version.startsWith('v') ? o.version : `v${o.version}`;
  const providers = await o.progress.run('building the providers into the package cache', async (t) => {
    const cache = new FsContentCache(join(o.dataDir, 'xpkg-cache'));
    const out: KubeObject[] = [];
    for (const [i, dir] of DemoProviders.entries()) {
      t.count(i, DemoProviders.length);
      const built = await buildPackage({ packageRoot: join(repoRoot, 'xpkg', dir) });
      const ref = `${DemoRegistry}/${dir}:${version}`;
      await seedPackage(cache, ref, built.artifact);
      out.push({
        apiVersion: 'pkg.crossplane.io/v1',
        kind: 'Provider',
        metadata: { name: `trellis-${dir}` },
        spec: { package: ref, packagePullPolicy: 'Never' },
      });
    }
    return out;
  });
  await o.progress.run(`installing ${providers.length} providers`, async (t) => {
    await Promise.all(providers.map((p) => apply(o.client, p, o.signal)));
    let healthy = 0;
    await poll(
      'the providers to become healthy',
      async () => {
        const got = await Promise.all(
          providers.map((p) =>
            o.client.getIfExists({ apiVersion: p.apiVersion, kind: p.kind, name: p.metadata.name ?? '' }, { signal: o.signal }),
          ),
        );
        healthy = got.filter((g) => condTrue(g, 'Healthy')).length;
        t.count(healthy, providers.length);
        return healthy === providers.length;
      },
      o.signal,
      timeoutMs,
    );
  });
  const objects = await exampleObjects();
  const xrds = objects.filter((x) => x.kind === 'CompositeResourceDefinition');
  await o.progress.run(`installing ${xrds.length} example APIs`, async (t) => {
    // XRDs and Compositions do not depend on each other at apply time: send them together.
    await Promise.all(objects.map((x) => apply(o.client, x, o.signal)));
    await poll(
      'the example XRDs to be established',
      async () => {
        const got = await Promise.all(
          xrds.map((x) =>
            o.client.getIfExists({ apiVersion: x.apiVersion, kind: x.kind, name: x.metadata.name ?? '' }, { signal: o.signal }),
          ),
        );
        const ready = got.filter(
          (g) =>
            condTrue(g, 'Established') &&
            ((g?.spec as { claimNames?: unknown } | undefined)?.claimNames === undefined || condTrue(g, 'Offered')),
        ).length;
        t.count(ready, xrds.length);
        return ready === xrds.length;
      },
      o.signal,
      timeoutMs,
    );
  });
  await o.progress.run('configuring the demo clusters', async () => {
    const p = join(repoRoot, DemoProviderConfigs);
    o.client.invalidateDiscovery();
    for (const d of parseGoYamlDocuments(await readFile(p, 'utf8'), p)) {
      const obj = d as KubeObject;
      await poll(
        `${obj.kind} to be served`,
        async () => {
          await apply(o.client, obj, o.signal);
          return true;
        },
        o.signal,
        timeoutMs,
      );
    }
  });
  // A Provider is Healthy once its revision is; its process (started by the provider host) may
  // still be booting. Wait for it: a claim applied after the ready line must not wait for it.
  await o.progress.run(`starting ${providers.length} provider processes`, async (t) => {
    await poll(
      'the provider processes to run (ProviderRevision RuntimeHealthy)',
      async () => {
        const running = await Promise.all(providers.map((p) => runtimeHealthy(o.client, p.metadata.name ?? '', o.startedAt, o.signal)));
        const n = running.filter(Boolean).length;
        t.count(n, providers.length);
        return n === providers.length;
      },
      o.signal,
      timeoutMs,
    );
  });
}
