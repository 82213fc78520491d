/**
 * Our apiextensions.crossplane.io CRDs (packages/engine/src/xcrd/api-crds.ts, committed as
 * crds/apiextensions.crossplane.io_*.yaml) are written by us. This suite checks that the committed
 * files are the generator's output; that they are schema-compatible with upstream Crossplane
 * v2.3.4's CRDs from the Go module cache (names, scope, versions, printer columns, subresources,
 * every property path with its type, required fields, enums, defaults, list types and validation
 * messages, except the deviations in docs/compatibility.md); and that every API server target
 * accepts them, and the XR and claim CRDs xcrd generates, as valid CRDs (server-side dry run).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiextensionsCrds, defaultXrd, forCompositeResource, forCompositeResourceClaim } from '@trellis/engine';
import type { KubeObject } from '@trellis/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { apiServerTargets, clientFor, type TestClient, uniqueName } from '../harness/targets.ts';
import { CRD_HEADER } from './gen-crds.ts';
import { cacheRoot, requirePart } from './oracle.ts';

const root = join(import.meta.dirname, '..', '..');
const ours = apiextensionsCrds();
const SERVED = ['compositeresourcedefinitions', 'compositions', 'compositionrevisions', 'environmentconfigs'];

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; items?: Schema; additionalProperties?: Schema | boolean };
type Crd = { metadata: { name: string }; spec: { scope: string; names: unknown; versions: Record<string, unknown>[] } };

/** Facts flattens a schema into `path -> facts` (type, required, enum, default, list types, messages). */
function facts(s: Schema, path: string, out: Map<string, Record<string, unknown>>): void {
  const f: Record<string, unknown> = {};
  for (const k of [
    'type',
    'format',
    'required',
    'enum',
    'default',
    'maxLength',
    'x-kubernetes-list-type',
    'x-kubernetes-list-map-keys',
    'x-kubernetes-map-type',
  ]) {
    if (s[k] !== undefined) f[k] = s[k];
  }
  const rules = s['x-kubernetes-validations'];
  if (Array.isArray(rules)) f.messages = rules.map((r) => (r as { message: string }).message).sort();
  out.set(path, f);
  for (const [k, v] of Object.entries(s.properties ?? {})) facts(v, `${path}.${k}`, out);
  if (s.items !== undefined) facts(s.items, `${path}[]`, out);
  if (typeof s.additionalProperties === 'object') facts(s.additionalProperties, `${path}{}`, out);
}

/** Deviations: where our CRDs knowingly differ from upstream (docs/compatibility.md). */
const DEVIATIONS: Record<string, (p: string, k: string) => boolean> = {
  // Legacy mode Resources is accepted and converted.
  compositions: (p, k) => p === '.spec.mode' && k === 'enum',
  compositionrevisions: (p, k) => p === '.spec.mode' && k === 'enum',
};

function upstreamDir(): string {
  const dirs = [
    join(cacheRoot, 'crossplane-v2.3.4', 'crds'),
    join(cacheRoot, 'gomod', 'github.com', 'crossplane', 'crossplane', 'v2@v2.3.4', 'cluster', 'crds'),
  ];
  const found = dirs.find((d) => existsSync(d));
  return requirePart(found ?? dirs[0] ?? '', 'bash test/infra/crossplane/build.sh');
}

describe('apiextensions.crossplane.io CRDs', () => {
  it('the committed files are the generator output', () => {
    for (const crd of ours) {
      const plural = (crd.spec as { names: { plural: string } }).names.plural;
      const file = join(root, 'crds', `apiextensions.crossplane.io_${plural}.yaml`);
      expect(
        readFileSync(file, 'utf8'),
        `${file} is stale: run node --conditions=@trellis/source --import tsx test/render/gen-crds.ts`,
      ).toBe(`${CRD_HEADER}${stringify(crd, { lineWidth: 0 })}`);
    }
  });

  describe('compatible with upstream Crossplane v2.3.4', () => {
    it.each(SERVED)('%s', (plural) => {
      const up = parse(readFileSync(join(upstreamDir(), `apiextensions.crossplane.io_${plural}.yaml`), 'utf8')) as Crd;
      const mine = ours.find((c) => c.metadata.name === up.metadata.name) as unknown as Crd;
      expect(mine, `no CRD ${up.metadata.name}`).toBeDefined();
      expect(mine.spec.scope).toBe(up.spec.scope);
      expect(mine.spec.names).toEqual(up.spec.names);
      const head = (v: Record<string, unknown>) => ({
        name: v.name,
        served: v.served,
        storage: v.storage,
        deprecated: v.deprecated,
        deprecationWarning: v.deprecationWarning,
        subresources: v.subresources ?? {},
        columns: v.additionalPrinterColumns,
      });
      expect(mine.spec.versions.map(head)).toEqual(up.spec.versions.map(head));
      const problems: string[] = [];
      for (const uv of up.spec.versions) {
        const mv = mine.spec.versions.find((v) => v.name === uv.name) as { schema: { openAPIV3Schema: Schema } };
        const upFacts = new Map<string, Record<string, unknown>>();
        const myFacts = new Map<string, Record<string, unknown>>();
        facts((uv.schema as { openAPIV3Schema: Schema }).openAPIV3Schema, '', upFacts);
        facts(mv.schema.openAPIV3Schema, '', myFacts);
        for (const [p, f] of upFacts) {
          const m = myFacts.get(p);
          if (m === undefined) {
            problems.push(`${uv.name} ${p}: missing`);
            continue;
          }
          for (const [k, v] of Object.entries(f)) {
            if (DEVIATIONS[plural]?.(p, k) === true) continue;
            if (JSON.stringify(m[k]) !== JSON.stringify(v))
              problems.push(`${uv.name} ${p}: ${k} is ${JSON.stringify(m[k])}, upstream ${JSON.stringify(v)}`);
          }
        }
      }
      expect(problems).toEqual([]);
    });
  });
});

/** Regroup moves a CRD to a unique group so dry runs never collide with CRDs other tests installed. */
function regroup(crd: KubeObject, group: string): KubeObject {
  const out = structuredClone(crd);
  const spec = out.spec as { group: string; names: { plural: string } };
  const from = spec.group;
  spec.group = group;
  out.metadata = { name: `${spec.names.plural}.${group}` };
  return JSON.parse(JSON.stringify(out).replaceAll(`"${from}"`, `"${group}"`)) as KubeObject;
}

const xrdDir = join(import.meta.dirname, 'xrds');

describe.each(apiServerTargets())('CRDs are valid on the $name API server', (target) => {
  let client: TestClient;
  beforeAll(async () => {
    client = await clientFor(target);
  });
  afterAll(() => client?.close());

  it('accepts our apiextensions CRDs', async () => {
    const group = `${uniqueName('xp')}.trellis.test`;
    for (const crd of ours) await client.create(regroup(crd, group), { dryRun: true });
  });

  it.each(readdirSync(xrdDir).filter((f) => f.endsWith('.yaml')))('accepts the XR and claim CRDs generated from %s', async (f) => {
    const xrd = defaultXrd(parse(readFileSync(join(xrdDir, f), 'utf8')) as KubeObject);
    const group = `${uniqueName('xr')}.trellis.test`;
    const strip = (c: KubeObject): KubeObject => {
      const out = regroup(c, group);
      delete out.metadata.ownerReferences;
      return out;
    };
    await client.create(strip(forCompositeResource(xrd)), { dryRun: true });
    if ((xrd.spec as Record<string, unknown>).claimNames !== undefined)
      await client.create(strip(forCompositeResourceClaim(xrd)), { dryRun: true });
  });
});
