// Differential test: every custom resource in corpus/objects is written (dry run) to the real
// kube-apiserver under the suite's CRD, and processed by the schema library as the embedded
// server's core does. Status codes, causes, unknown-field reports and the stored object (after
// pruning and defaulting) must match.
import { beforeAll, describe, expect, it } from 'vitest';
import { realTarget, uniqueGroup } from '../harness/targets.ts';
import { normalizeCauses, objectSuites } from './corpus.ts';
import { hostileObjectSuite } from './hostile.ts';
import { type InstalledCrd, installCrd, runMine, runReal } from './objects.ts';
import { type RawClient, rawClientFor } from './raw.ts';

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (typeof v === 'object' && v !== null) {
    const rec = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(rec)
        .sort()
        .map((k) => [k, canonical(rec[k])]),
    );
  }
  return v;
}

function content(o: Record<string, unknown> | undefined): unknown {
  return o === undefined ? undefined : canonical({ spec: o.spec, status: o.status });
}

let client: RawClient;
beforeAll(() => {
  client = rawClientFor(realTarget().kubeconfigPath);
});

describe.each([...objectSuites(), hostileObjectSuite()])('$file', (suite) => {
  let crd: InstalledCrd;
  beforeAll(async () => {
    crd = await installCrd(client, suite.crd, uniqueGroup('schema'));
  });

  it.each(suite.cases.map((c, i) => ({ ...c, index: i })))('$name', async (c) => {
    const name = String((c.object.metadata as { name?: string } | undefined)?.name ?? `case-${c.index}`);
    const { outcome: real, storedOld } = await runReal(client, crd, c, name);
    const mine = runMine(crd, c, name, storedOld);
    expect(mine.status, `status (real causes: ${JSON.stringify(real.causes)})`).toBe(real.status);
    expect(normalizeCauses(mine.causes, c.compare)).toEqual(normalizeCauses(real.causes, c.compare));
    expect(mine.unknown).toEqual(real.unknown);
    expect(content(mine.result)).toEqual(content(real.result));
  });
});
