// Conformance: watch — event sequences, resume from a resourceVersion, bookmarks, 410 Gone and
// relist, and selector-filtered watches.

import { KubeApiError, KubeErrorCode } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiServerTargets, createTestNamespace, installTestCrd, uniqueGroup, useKube } from '../harness/targets.ts';
import { obj, record, summary } from './helpers.ts';

describe.each(apiServerTargets())('watch on $name', (target) => {
  const kube = useKube(target, 'conf-watch');
  let apiVersion = '';
  beforeAll(async () => {
    apiVersion = (await installTestCrd(kube.client, { group: uniqueGroup('watch'), kind: 'Signal' })).apiVersion;
  });
  const type = () => ({ apiVersion, kind: 'Signal' });
  const ref = (name: string) => ({ apiVersion, kind: 'Signal', name, namespace: kube.namespace });
  const signal = (name: string, spec: Record<string, unknown> = {}, labels?: Record<string, string>) =>
    obj(apiVersion, 'Signal', kube.namespace, name, { spec, ...(labels === undefined ? {} : { metadata: { labels } }) });

  it('streams ADDED, MODIFIED and DELETED in order, each carrying the object at that resourceVersion', async () => {
    const start = await kube.client.list(type(), { namespace: kube.namespace });
    const rec = record(kube.client, type(), { namespace: kube.namespace, resourceVersion: start.resourceVersion });
    const a = await kube.client.create(signal('s1', { v: 1 }));
    const b = await kube.client.patch(ref('s1'), { type: 'merge', patch: { spec: { v: 2 } } });
    const c = await kube.client.create(signal('s2'));
    await kube.client.delete(ref('s1'));
    await rec.waitFor('4 events', (evs) => evs.length >= 4);
    await rec.stop();
    expect(rec.events.map(summary)).toEqual(['ADDED s1', 'MODIFIED s1', 'ADDED s2', 'DELETED s1']);
    expect(rec.events.map((e) => e.object.metadata.resourceVersion).slice(0, 3)).toEqual([
      a.metadata.resourceVersion,
      b.metadata.resourceVersion,
      c.metadata.resourceVersion,
    ]);
    expect(rec.events[1]?.object.spec).toEqual({ v: 2 });
    // A DELETED event carries the last state with the deletion's resourceVersion.
    const del = rec.events[3]?.object as KubeObject;
    expect(del.spec).toEqual({ v: 2 });
    expect(del.metadata.resourceVersion).not.toBe(b.metadata.resourceVersion);
  });

  it('resumes from a resourceVersion: only later changes, no synthetic ADDED', async () => {
    const s3 = await kube.client.create(signal('s3', { v: 1 }));
    const s3b = await kube.client.patch(ref('s3'), { type: 'merge', patch: { spec: { v: 2 } } });
    await kube.client.patch(ref('s3'), { type: 'merge', patch: { spec: { v: 3 } } });
    // Resume from the first write: the two later writes arrive, nothing before them.
    const rec = record(kube.client, type(), { namespace: kube.namespace, resourceVersion: s3.metadata.resourceVersion ?? '' });
    await rec.waitFor('2 events', (evs) => evs.length >= 2);
    await kube.client.create(signal('marker'));
    await rec.waitFor('marker', (evs) => evs.some((e) => e.object.metadata.name === 'marker'));
    await rec.stop();
    expect(rec.events.map(summary)).toEqual(['MODIFIED s3', 'MODIFIED s3', 'ADDED marker']);
    expect(rec.events[0]?.object.metadata.resourceVersion).toBe(s3b.metadata.resourceVersion);
    expect(rec.events[1]?.object.spec).toEqual({ v: 3 });
  });

  it('without a resourceVersion, starts with a synthetic ADDED for every existing object', async () => {
    const existing = await kube.client.list(type(), { namespace: kube.namespace });
    const rec = record(kube.client, type(), { namespace: kube.namespace });
    await rec.waitFor('initial events', (evs) => evs.length >= existing.items.length);
    await rec.stop();
    expect(rec.events.map((e) => e.type)).toEqual(existing.items.map(() => 'ADDED'));
    expect(rec.events.map((e) => e.object.metadata.name).sort()).toEqual(existing.items.map((i) => i.metadata.name).sort());
  });

  it('sends bookmarks when asked: the kind with only a resourceVersion, advanced past unrelated writes', async () => {
    const other = await createTestNamespace(kube.client, 'conf-watch-other');
    const start = await kube.client.list(type(), { namespace: kube.namespace });
    const rec = record(kube.client, type(), {
      namespace: kube.namespace,
      resourceVersion: start.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: 8,
      bookmarks: true,
    });
    // The watch is registered once it delivers a write of its own namespace. (A write made before
    // that is already behind the watcher's version when it registers, and gets no bookmark: the
    // race a loaded CI machine lost with the unrelated write made right after starting the watch.)
    await kube.client.create(signal('bookmark-marker'));
    await rec.waitFor('the marker', (evs) => evs.some((e) => e.object.metadata.name === 'bookmark-marker'));
    // A write the watcher does not see: the server advances the watcher's resourceVersion past it with
    // a bookmark (kube-apiserver sends it 2 s before the watch's timeout).
    const unrelated = await kube.client.create(obj(apiVersion, 'Signal', other.name, 'elsewhere'));
    expect(await rec.ended).toBeUndefined();
    await other.delete();
    expect(rec.events.filter((e) => e.type !== 'BOOKMARK').map(summary)).toEqual(['ADDED bookmark-marker']);
    expect(rec.events.length).toBeGreaterThanOrEqual(1);
    const bm = rec.events.at(-1)?.object as KubeObject;
    expect(bm.apiVersion).toBe(apiVersion);
    expect(bm.kind).toBe('Signal');
    expect(Object.keys(bm.metadata).filter((k) => k !== 'creationTimestamp')).toEqual(['resourceVersion']);
    expect(BigInt(bm.metadata.resourceVersion ?? '0') >= BigInt(unrelated.metadata.resourceVersion ?? '')).toBe(true);
  });

  it('ends the stream cleanly at timeoutSeconds without bookmarks when not asked', async () => {
    const start = await kube.client.list(type(), { namespace: kube.namespace });
    const rec = record(kube.client, type(), {
      namespace: kube.namespace,
      resourceVersion: start.resourceVersion,
      timeoutSeconds: 2,
      bookmarks: true,
    });
    expect(await rec.ended).toBeUndefined();
    expect(rec.events).toEqual([]);
  });

  it('answers a watch from a too-old resourceVersion with 410 Expired; a relist gives a resourceVersion to watch from', async () => {
    const rec = record(kube.client, type(), { namespace: kube.namespace, resourceVersion: '1' });
    const err = await rec.ended;
    expect(err).toBeInstanceOf(KubeApiError);
    const gone = err as KubeApiError;
    expect({ code: gone.code, status: gone.status, reason: gone.reason }).toEqual({
      code: KubeErrorCode.Gone,
      status: 410,
      reason: 'Expired',
    });
    expect(gone.serverMessage).toMatch(/^too old resource version: 1 \(\d+\)$/);
    expect(rec.events).toEqual([]);
    // Relist and watch from the list's resourceVersion: the next change arrives.
    const relist = await kube.client.list(type(), { namespace: kube.namespace });
    const again = record(kube.client, type(), { namespace: kube.namespace, resourceVersion: relist.resourceVersion });
    await kube.client.create(signal('after-relist'));
    await again.waitFor('after-relist', (evs) => evs.length >= 1);
    await again.stop();
    expect(again.events.map(summary)).toEqual(['ADDED after-relist']);
  });

  it('filters by label selector: an object leaving the selector is DELETED, one entering it ADDED', async () => {
    const start = await kube.client.list(type(), { namespace: kube.namespace });
    const rec = record(kube.client, type(), {
      namespace: kube.namespace,
      resourceVersion: start.resourceVersion,
      labelSelector: 'tier=gold',
    });
    await kube.client.create(signal('gold', {}, { tier: 'gold' }));
    await kube.client.create(signal('silver', {}, { tier: 'silver' }));
    await kube.client.patch(ref('gold'), { type: 'merge', patch: { metadata: { labels: { tier: 'bronze' } } } });
    await kube.client.patch(ref('silver'), { type: 'merge', patch: { metadata: { labels: { tier: 'gold' } } } });
    await kube.client.patch(ref('silver'), { type: 'merge', patch: { spec: { shiny: true } } });
    await rec.waitFor('4 events', (evs) => evs.length >= 4);
    await kube.client.create(signal('end', {}, { tier: 'gold' }));
    await rec.waitFor('end', (evs) => evs.some((e) => e.object.metadata.name === 'end'));
    await rec.stop();
    expect(rec.events.map(summary)).toEqual(['ADDED gold', 'DELETED gold', 'ADDED silver', 'MODIFIED silver', 'ADDED end']);
    // The DELETED event of an object leaving the selector carries its last matching state.
    expect(rec.events[1]?.object.metadata.labels).toEqual({ tier: 'gold' });
  });

  it('filters by field selector metadata.name', async () => {
    const start = await kube.client.list(type(), { namespace: kube.namespace });
    const rec = record(kube.client, type(), {
      namespace: kube.namespace,
      resourceVersion: start.resourceVersion,
      fieldSelector: 'metadata.name=only',
    });
    await kube.client.create(signal('not-this'));
    await kube.client.create(signal('only'));
    await kube.client.delete(ref('only'));
    await rec.waitFor('2 events', (evs) => evs.length >= 2);
    await rec.stop();
    expect(rec.events.map(summary)).toEqual(['ADDED only', 'DELETED only']);
  });

  it('watches across namespaces when no namespace is given', async () => {
    const start = await kube.client.list(type());
    const rec = record(kube.client, type(), {
      resourceVersion: start.resourceVersion,
      fieldSelector: `metadata.namespace=${kube.namespace}`,
    });
    await kube.client.create(signal('cluster-wide'));
    await rec.waitFor('1 event', (evs) => evs.length >= 1);
    await rec.stop();
    expect(rec.events.map(summary)).toEqual(['ADDED cluster-wide']);
    expect(rec.events[0]?.object.metadata.namespace).toBe(kube.namespace);
  });
});
