// The real-world corpus stand-in (test/fixtures/xpkg/corpus, see its README): the classic
// configurations' dependency metadata, as our own test data, builds, lints and resolves against a
// real registry seeded with our builds of their dependencies; the dependencies live on
// xpkg.upbound.io and reach the test registry through an ImageConfig rewrite.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { nopLogger } from '@trellis/sdk';
import {
  buildPackage,
  canonical,
  type ImageConfigObject,
  pushArtifact,
  RegistryClient,
  type Requirement,
  Sources,
  solve,
} from '@trellis/xpkg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildAndPush } from './support/packages.ts';
import { type Registry, registryAvailable, startRegistry } from './support/registry.ts';

const have = registryAvailable();
const corpus = join(import.meta.dirname, '..', 'fixtures', 'xpkg', 'corpus');
const dirs = readdirSync(corpus).filter((d) => statSync(join(corpus, d)).isDirectory());

interface Seed {
  package: string;
  kind: 'Configuration' | 'Provider' | 'Function';
  versions: string[];
  corpus?: string;
  deps?: Record<string, string>[];
}

describe.runIf(have)('real-world corpus stand-in', () => {
  let reg: Registry;
  let imageConfigs: ImageConfigObject[];
  const oci = new RegistryClient({ retry: { attempts: 3, baseDelayMs: 5 } });
  const mirror = (pkg: string): string => pkg.replace('xpkg.upbound.io/', `${reg.host}/mirror/`);

  beforeAll(async () => {
    reg = await startRegistry('anonymous');
    imageConfigs = [
      {
        apiVersion: 'pkg.crossplane.io/v1beta1',
        kind: 'ImageConfig',
        metadata: { name: 'mirror' },
        spec: { matchImages: [{ prefix: 'xpkg.upbound.io/' }], rewriteImage: { prefix: `${reg.host}/mirror/` } },
      },
    ];
    const seeds = parse(readFileSync(join(corpus, 'seed.yaml'), 'utf8')) as Seed[];
    for (const s of seeds) {
      for (const v of s.versions) {
        if (s.corpus !== undefined) {
          const built = await buildPackage({ packageRoot: join(corpus, s.corpus) });
          await pushArtifact(oci, oci.parse(`${mirror(s.package)}:${v}`), built.artifact);
          continue;
        }
        await buildAndPush(oci, `${mirror(s.package)}:${v}`, {
          kind: s.kind,
          name: s.package.split('/').at(-1) ?? 'x',
          dependsOn: (s.deps ?? []).map((d) => {
            const [kind, pkg] = Object.entries(d).find(([k]) => k !== 'version') ?? ['provider', ''];
            return { kind: kind as 'provider', package: pkg, version: d.version ?? '' };
          }),
        });
      }
    }
  });
  afterAll(async () => {
    await reg?.stop();
  });

  async function resolve(requirements: Requirement[]) {
    const sources = new Sources({ namespace: '', log: nopLogger, retry: { attempts: 3, baseDelayMs: 5 } });
    const catalog = await sources.loadCatalog(
      requirements.map((requirement) => ({ requirement })),
      imageConfigs,
    );
    return solve(catalog, requirements);
  }

  it.each(dirs)('%s builds, lints and resolves', async (dir) => {
    const built = await buildPackage({ packageRoot: join(corpus, dir), crossplaneVersion: 'v2.3.4' });
    expect(built.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const reqs: Requirement[] = built.meta.dependsOn.map((d) => ({
      package: canonical(d.package),
      type: d.type,
      constraint: d.version,
      from: `Configuration "${built.meta.name}"`,
    }));
    const r = await resolve(reqs);
    if (!r.ok) throw new Error(`${dir} did not resolve:\n${r.explanation.join('\n')}`);
    const got = Object.fromEntries(r.plan.packages.map((p) => [p.package.replace('xpkg.upbound.io/', ''), p.version]));
    for (const d of built.meta.dependsOn) expect(got[d.package.replace('xpkg.upbound.io/', '')], d.package).toBe(d.version);
    if (dir === 'platform-ref-aws') {
      // Transitive: aws-eks v0.11.0 pins provider-aws-ec2 v1.1.0, which also satisfies aws-network's "v1" (assumed; see seed.yaml).
      expect(got['upbound/provider-aws-ec2']).toBe('v1.1.0');
      expect(r.plan.packages.length).toBe(12);
      const names = r.plan.packages.map((p) => p.package.split('/').at(-1));
      expect(names.indexOf('provider-aws-ec2')).toBeLessThan(names.indexOf('configuration-aws-network'));
      expect(names.indexOf('configuration-aws-network')).toBeLessThan(names.indexOf('configuration-aws-eks'));
    }
  });

  it('explains the conflict between the aws-network snapshot (provider-aws-ec2 v0.43.0) and aws-eks (v1.1.0)', async () => {
    const r = await resolve([
      {
        package: 'xpkg.upbound.io/upbound/configuration-aws-network',
        type: 'Configuration',
        constraint: 'v0.7.0',
        from: 'Configuration "network"',
      },
      {
        package: 'xpkg.upbound.io/upbound/configuration-aws-eks',
        type: 'Configuration',
        constraint: 'v0.11.0',
        from: 'Configuration "eks"',
      },
    ]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = [...r.explanation, ...r.suggestions].join('\n');
    expect(text).toContain('xpkg.upbound.io/upbound/configuration-aws-network v0.7.0 asks for v0.43.0');
    expect(text).toContain('xpkg.upbound.io/upbound/configuration-aws-eks v0.11.0 asks for v1.1.0');
    expect(text).toContain('published: v0.43.0, v1.1.0, v1.2.0');
  });
});
