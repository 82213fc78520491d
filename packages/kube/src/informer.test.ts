import type { KubeObject, Logger } from '@trellis/sdk';
import { TrellisError } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { KubeApiError, KubeErrorCode } from './errors.ts';
import { newInformerFactory } from './informer.ts';
import type { KubeClient, ObjectList, TypeRef, WatchEvent, WatchOptions } from './types.ts';

const widgetType: TypeRef = { apiVersion: 'example.org/v1', kind: 'Widget' };
const widget = (name: string): KubeObject => ({ ...widgetType, metadata: { name, namespace: 'ns', resourceVersion: '5', uid: name } });

/**
 * FakeLister is the part of a KubeClient an informer uses: listAll answers `served` (or fails with
 * `listError` while the kind is not served), watch stays open without events until aborted.
 */
function fakeClient(state: { listError: Error | undefined; items: KubeObject[]; lists: number }): KubeClient {
  const unused = (): never => {
    throw new TrellisError('TEST_UNUSED', 'not used by informers');
  };
  return {
    async listAll<T extends KubeObject>(): Promise<ObjectList<T>> {
      state.lists++;
      if (state.listError !== undefined) throw state.listError;
      return { items: state.items as T[], resourceVersion: '5' } as ObjectList<T>;
    },
    watch<T extends KubeObject>(_type: TypeRef, opts: WatchOptions = {}): AsyncIterable<WatchEvent<T>> {
      return {
        async *[Symbol.asyncIterator]() {
          await new Promise<void>((resolve) => {
            if (opts.signal?.aborted === true) resolve();
            opts.signal?.addEventListener('abort', () => resolve(), { once: true });
          });
        },
      };
    },
    get: unused,
    getIfExists: unused,
    list: unused,
    create: unused,
    update: unused,
    updateStatus: unused,
    patch: unused,
    apply: unused,
    delete: unused,
    deleteCollection: unused,
    resourceFor: unused,
    invalidateDiscovery: unused,
    raw: unused,
  } as unknown as KubeClient;
}

const notServed = (): KubeApiError =>
  new KubeApiError({
    code: KubeErrorCode.NoKindMatch,
    message: 'no resource for Widget.example.org/v1: not found',
    status: 0,
    reason: '',
  });

describe('informer factory', () => {
  const cases: { reason: string; stop: (inf: { stop(): void; start(): Promise<void> }) => Promise<void>; wantNew: boolean }[] = [
    {
      reason: 'an informer whose first list failed fatally (kind not served) is replaced',
      stop: async (inf) => {
        await expect(inf.start()).rejects.toMatchObject({ code: KubeErrorCode.NoKindMatch });
      },
      wantNew: true,
    },
    {
      reason: 'an informer stopped by its user is replaced',
      stop: async (inf) => {
        inf.stop();
        await expect(inf.start()).rejects.toMatchObject({ code: KubeErrorCode.Aborted });
      },
      wantNew: true,
    },
    {
      reason: 'a running informer is shared',
      stop: async () => {},
      wantNew: false,
    },
  ];
  it.each(cases)('$reason', async (c) => {
    const state = { listError: c.wantNew ? (notServed() as Error) : undefined, items: [widget('a')], lists: 0 };
    const factory = newInformerFactory(fakeClient(state), { backoffBaseMs: 1, backoffMaxMs: 5 });
    try {
      const first = factory.informerFor(widgetType);
      if (!c.wantNew) await first.start();
      await c.stop(first);
      state.listError = undefined; // the CRD is installed now
      const second = factory.informerFor(widgetType);
      expect(second === first).toBe(!c.wantNew);
      await second.start();
      expect(second.hasSynced()).toBe(true);
      expect(second.list().map((o) => o.metadata.name)).toEqual(['a']);
      // The replacement is shared in turn.
      expect(factory.informerFor(widgetType)).toBe(second);
    } finally {
      factory.stopAll();
    }
  });

  it('lets go of stopped informers (the kinds of CRDs that came and went)', async () => {
    const state = { listError: undefined as Error | undefined, items: [widget('a')], lists: 0 };
    const factory = newInformerFactory(fakeClient(state), { backoffBaseMs: 1, backoffMaxMs: 5 });
    try {
      for (let i = 0; i < 10; i++) {
        const inf = factory.informerFor({ apiVersion: `p${i}.example.org/v1`, kind: 'Widget' });
        await inf.start();
        inf.stop();
      }
      factory.informerFor(widgetType);
      expect(factory.size()).toBe(1);
    } finally {
      factory.stopAll();
    }
  });

  it('keeps retrying a first list that fails with a transient error (no replacement needed)', async () => {
    const state = {
      listError: new KubeApiError({
        code: KubeErrorCode.Unavailable,
        message: 'unavailable',
        status: 503,
        reason: 'ServiceUnavailable',
      }) as Error,
      items: [widget('b')],
      lists: 0,
    };
    const factory = newInformerFactory(fakeClient(state), { backoffBaseMs: 1, backoffMaxMs: 5 });
    try {
      const inf = factory.informerFor(widgetType);
      const started = inf.start();
      while (state.lists < 2) await new Promise((r) => setTimeout(r, 1));
      state.listError = undefined;
      await started;
      expect(factory.informerFor(widgetType)).toBe(inf);
      expect(inf.list().map((o) => o.metadata.name)).toEqual(['b']);
    } finally {
      factory.stopAll();
    }
  });
});

describe('informer reconnects after cut watches', () => {
  /** A client whose every watch delivers `events` (then, for bookmarks, nothing) and is then cut. */
  function cuttingClient(deliver: 'event' | 'bookmark' | 'nothing', cuts: number): KubeClient & { watches: number } {
    const base = fakeClient({ listError: undefined, items: [widget('a')], lists: 0 });
    const c = base as KubeClient & { watches: number };
    c.watches = 0;
    c.watch = <T extends KubeObject>(_type: TypeRef, opts: WatchOptions = {}): AsyncIterable<WatchEvent<T>> => ({
      async *[Symbol.asyncIterator]() {
        c.watches++;
        const n = c.watches;
        if (n > cuts) {
          await new Promise<void>((resolve) => opts.signal?.addEventListener('abort', () => resolve(), { once: true }));
          return;
        }
        const rv = String(10 + n);
        if (deliver === 'event')
          yield { type: 'MODIFIED', object: { ...widget('a'), metadata: { ...widget('a').metadata, resourceVersion: rv } } as T };
        if (deliver === 'bookmark') yield { type: 'BOOKMARK', object: { ...widgetType, metadata: { resourceVersion: rv } } as T };
        throw new KubeApiError({ code: KubeErrorCode.Unavailable, message: 'cannot reach API server: ECONNRESET', status: 0, reason: '' });
      },
    });
    return c;
  }

  it.each([
    {
      reason: 'a watch that delivered an event before it was cut is not a consecutive failure',
      deliver: 'event' as const,
      want: [0, 0, 0, 0, 0, 0],
    },
    { reason: 'nor is one that delivered a bookmark', deliver: 'bookmark' as const, want: [0, 0, 0, 0, 0, 0] },
    { reason: 'watches that never got anything through back off', deliver: 'nothing' as const, want: [0, 1, 2, 3, 4, 5] },
  ])('$reason', async ({ deliver, want }) => {
    const failures: number[] = [];
    const log: Logger = {
      info: () => {},
      debug: (msg, fields) => {
        if (msg === 'list or watch failed; retrying') failures.push(Number(fields?.failures));
      },
      with: () => log,
    };
    const client = cuttingClient(deliver, want.length);
    const factory = newInformerFactory(client, { backoffBaseMs: 1, backoffMaxMs: 40, log });
    try {
      await factory.informerFor(widgetType).start();
      const deadline = Date.now() + 5_000;
      while (client.watches <= want.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
      expect(failures).toEqual(want);
    } finally {
      factory.stopAll();
    }
  });
});
