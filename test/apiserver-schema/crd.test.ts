// Differential test: every CRD in corpus/crds is created with dryRun=All on the real
// kube-apiserver, and the schema library must report the same causes (validateCrd plus the CRD
// name rule, which kube checks as part of ObjectMeta); so is each generated hostile case.

import type { KubeObject } from '@trellis/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateCrd, validateCrdName } from '../../packages/apiserver/src/schema/index.ts';
import { realTarget } from '../harness/targets.ts';
import { crdCases, crdOf, normalizeCauses } from './corpus.ts';
import { hostileCrdCases } from './hostile.ts';
import { type RawClient, rawClientFor } from './raw.ts';

let client: RawClient;

beforeAll(() => {
  client = rawClientFor(realTarget().kubeconfigPath);
});

describe.each([...crdCases(), hostileCrdCases()])('$file', ({ cases }) => {
  it.each(cases)('$name', async (c) => {
    const crd = crdOf(c);
    const res = await client.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions?dryRun=All', crd);
    expect([201, 422], `unexpected status ${res.status}: ${JSON.stringify(res.body)}`).toContain(res.status);
    const real = res.status === 422 ? ((res.body.details as { causes?: [] } | undefined)?.causes ?? []) : [];
    const mine = [...validateCrd(crd as unknown as KubeObject), ...validateCrdName(crd as unknown as KubeObject)];
    expect(normalizeCauses(mine, c.compare)).toEqual(normalizeCauses(real, c.compare));
  });
});
