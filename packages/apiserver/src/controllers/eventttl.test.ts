import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '@trellis/sdk';
import { nopLogger } from '@trellis/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import type { WriteContext } from '../api/rest.ts';
import { Rest } from '../api/rest.ts';
import { Registry } from '../registry/registry.ts';
import type { ResourceType } from '../registry/types.ts';
import { Store } from '../store/store.ts';
import { EventTtl } from './eventttl.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const write: WriteContext = { manager: 'test', opts: { dryRun: false, fieldManager: 'test', fieldValidation: 'Strict' }, warnings: [] };

async function setup(): Promise<{ rest: Rest; store: Store; clock: { t: number } }> {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-eventttl-'));
  const store = await Store.open({ dir, fsync: false });
  cleanups.push(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const rest = new Rest({ store, registry: new Registry() });
  rest.create(type(rest, 'namespaces'), '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }, write);
  return { rest, store, clock: { t: 1_000_000 } };
}

const type = (rest: Rest, resource: string): ResourceType => rest.registry.lookup('', 'v1', resource) as ResourceType;

function event(name: string, message: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    involvedObject: { kind: 'ConfigMap', namespace: 'default', name: 'x' },
    reason: 'Test',
    message,
  } as KubeObject;
}

/** Committed waits until the store has dispatched its writes to subscribers. */
async function committed(store: Store): Promise<void> {
  await store.durable(store.rv);
  await new Promise((r) => setImmediate(r));
}

const names = (store: Store): string[] => {
  const out: string[] = [];
  store.each('/events', (o) => out.push(o.name));
  return out.sort();
};

describe('EventTtl', () => {
  it('deletes Events a TTL after their last write, keeps rewritten ones and touches nothing else', async () => {
    const { rest, store, clock } = await setup();
    const ttl = new EventTtl(rest, nopLogger, { ttlMs: 60_000, sweepEveryMs: 3_600_000, now: () => clock.t });
    cleanups.push(async () => ttl.stop());
    ttl.start();
    rest.create(type(rest, 'events'), 'default', event('old', 'first'), write);
    rest.create(type(rest, 'events'), 'default', event('kept', 'first'), write);
    rest.create(type(rest, 'configmaps'), 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' } }, write);
    await committed(store);

    clock.t += 40_000;
    const kept = rest.read(type(rest, 'events'), 'default', 'kept')?.obj as KubeObject;
    rest.update(type(rest, 'events'), 'default', 'kept', '', { ...kept, message: 'again' } as KubeObject, write);
    await committed(store);
    expect(ttl.sweep()).toBe(0);

    clock.t += 20_000; // "old" was last written 60 s ago, "kept" 20 s ago
    expect(ttl.sweep()).toBe(1);
    await committed(store);
    expect(names(store)).toEqual(['kept']);
    expect(rest.read(type(rest, 'configmaps'), 'default', 'cm')).toBeDefined();

    clock.t += 40_000;
    expect(ttl.sweep()).toBe(1);
    await committed(store);
    expect(names(store)).toEqual([]);
    expect(ttl.sweep()).toBe(0);
  });

  it('counts Events found at start as written then, and forgets Events a client deleted', async () => {
    const { rest, store, clock } = await setup();
    rest.create(type(rest, 'events'), 'default', event('before', 'stored before the start'), write);
    rest.create(type(rest, 'events'), 'default', event('gone', 'deleted by a client'), write);
    await committed(store);
    clock.t += 500_000;
    const ttl = new EventTtl(rest, nopLogger, { ttlMs: 60_000, sweepEveryMs: 3_600_000, now: () => clock.t });
    cleanups.push(async () => ttl.stop());
    ttl.start();
    expect(ttl.sweep()).toBe(0);
    rest.delete(type(rest, 'events'), 'default', 'gone', {
      dryRun: false,
      propagationPolicy: undefined,
      orphanDependents: undefined,
      gracePeriodSeconds: undefined,
      preconditions: undefined,
    });
    await committed(store);
    clock.t += 60_000;
    expect(ttl.sweep()).toBe(1);
    await committed(store);
    expect(names(store)).toEqual([]);
  });
});
