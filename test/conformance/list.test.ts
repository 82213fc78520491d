// Conformance: label and field selectors, pagination (limit/continue), metadata-only lists.
import { KubeErrorCode } from '@trellis/kube';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiServerTargets, installTestCrd, uniqueGroup, useKube } from '../harness/targets.ts';
import { obj, rejection } from './helpers.ts';

describe.each(apiServerTargets())('selectors and pagination on $name', (target) => {
  const kube = useKube(target, 'conf-list');
  let apiVersion = '';
  const type = () => ({ apiVersion, kind: 'Item' });
  const names = (items: { metadata: { name?: string } }[]) => items.map((i) => i.metadata.name ?? '').sort();

  beforeAll(async () => {
    apiVersion = (await installTestCrd(kube.client, { group: uniqueGroup('list'), kind: 'Item' })).apiVersion;
    const labels: Record<string, Record<string, string>> = {
      a: { env: 'prod', tier: 'web' },
      b: { env: 'prod', tier: 'db' },
      c: { env: 'dev', tier: 'web' },
      d: { env: 'dev' },
      e: {},
    };
    for (const [name, l] of Object.entries(labels)) {
      await kube.client.create(obj(apiVersion, 'Item', kube.namespace, name, { metadata: { labels: l }, spec: { n: name } }));
    }
  });

  it.each([
    ['equality', 'env=prod', ['a', 'b']],
    ['double equals', 'env==dev', ['c', 'd']],
    ['inequality (matches objects without the label)', 'env!=prod', ['c', 'd', 'e']],
    ['set inclusion', 'tier in (web,db)', ['a', 'b', 'c']],
    ['set exclusion (matches objects without the label)', 'tier notin (web)', ['b', 'd', 'e']],
    ['existence', 'tier', ['a', 'b', 'c']],
    ['non-existence', '!tier', ['d', 'e']],
    ['conjunction', 'env=dev,tier=web', ['c']],
    ['no match', 'env=staging', []],
  ])('lists by label selector: %s', async (_what, selector, want) => {
    const list = await kube.client.list(type(), { namespace: kube.namespace, labelSelector: selector });
    expect(names(list.items)).toEqual(want);
  });

  it('rejects a malformed label selector with 400 BadRequest', async () => {
    const err = await rejection(kube.client.list(type(), { namespace: kube.namespace, labelSelector: 'env in prod' }));
    expect(err.code).toBe(KubeErrorCode.BadRequest);
    expect(err.status).toBe(400);
    expect(err.reason).toBe('BadRequest');
  });

  it('lists by the field selectors every custom resource supports: metadata.name and metadata.namespace', async () => {
    expect(names((await kube.client.list(type(), { namespace: kube.namespace, fieldSelector: 'metadata.name=c' })).items)).toEqual(['c']);
    expect(names((await kube.client.list(type(), { namespace: kube.namespace, fieldSelector: 'metadata.name!=c' })).items)).toEqual([
      'a',
      'b',
      'd',
      'e',
    ]);
    expect(names((await kube.client.list(type(), { fieldSelector: `metadata.namespace=${kube.namespace}` })).items)).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
  });

  it('rejects an unsupported field selector with 400 BadRequest', async () => {
    const err = await rejection(kube.client.list(type(), { namespace: kube.namespace, fieldSelector: 'spec.n=a' }));
    expect(err.code).toBe(KubeErrorCode.BadRequest);
    expect(err.serverMessage).toBe('field label not supported: spec.n');
  });

  it('pages with limit and continue, in name order, with remainingItemCount, until no continue is returned', async () => {
    const p1 = await kube.client.list(type(), { namespace: kube.namespace, limit: 2 });
    expect(p1.items.map((i) => i.metadata.name)).toEqual(['a', 'b']);
    expect(p1.continue).toEqual(expect.any(String));
    expect(p1.remainingItemCount).toBe(3);
    const p2 = await kube.client.list(type(), { namespace: kube.namespace, limit: 2, continue: p1.continue ?? '' });
    expect(p2.items.map((i) => i.metadata.name)).toEqual(['c', 'd']);
    expect(p2.remainingItemCount).toBe(1);
    const p3 = await kube.client.list(type(), { namespace: kube.namespace, limit: 2, continue: p2.continue ?? '' });
    expect(p3.items.map((i) => i.metadata.name)).toEqual(['e']);
    expect(p3.continue).toBeUndefined();
    expect(p3.remainingItemCount).toBeUndefined();
    // All pages are served at the first page's resourceVersion.
    expect(p2.resourceVersion).toBe(p1.resourceVersion);
    expect(p3.resourceVersion).toBe(p1.resourceVersion);
  });

  it('serves later pages from the snapshot of the first: changes made while paging are not seen', async () => {
    const p1 = await kube.client.list(type(), { namespace: kube.namespace, limit: 2 });
    await kube.client.create(obj(apiVersion, 'Item', kube.namespace, 'c2'));
    await kube.client.delete({ ...type(), name: 'd', namespace: kube.namespace });
    const rest = await kube.client.list(type(), { namespace: kube.namespace, continue: p1.continue ?? '' });
    expect(rest.items.map((i) => i.metadata.name)).toEqual(['c', 'd', 'e']);
    const now = await kube.client.list(type(), { namespace: kube.namespace });
    expect(now.items.map((i) => i.metadata.name)).toEqual(['a', 'b', 'c', 'c2', 'e']);
  });

  it('pages through a label-selected list', async () => {
    const p1 = await kube.client.list(type(), { namespace: kube.namespace, labelSelector: 'tier', limit: 1 });
    expect(p1.items.map((i) => i.metadata.name)).toEqual(['a']);
    const all = await kube.client.listAll(type(), { namespace: kube.namespace, labelSelector: 'tier', limit: 1 });
    expect(all.items.map((i) => i.metadata.name)).toEqual(['a', 'b', 'c']);
  });

  it('rejects a malformed continue token with 400 BadRequest', async () => {
    const err = await rejection(kube.client.list(type(), { namespace: kube.namespace, limit: 1, continue: 'not-a-token' }));
    expect(err.code).toBe(KubeErrorCode.BadRequest);
  });

  it('lists metadata only: PartialObjectMetadata without spec, relabelled with the kind asked for', async () => {
    const list = await kube.client.list(type(), { namespace: kube.namespace, metadataOnly: true, labelSelector: 'env=prod' });
    expect(list.items.map((i) => [i.apiVersion, i.kind, i.metadata.name, i.metadata.labels?.env, i.spec])).toEqual([
      [apiVersion, 'Item', 'a', 'prod', undefined],
      [apiVersion, 'Item', 'b', 'prod', undefined],
    ]);
  });
});
