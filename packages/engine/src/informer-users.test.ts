import type { Informer, InformerFactory, TypeRef } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { newInformerUsers } from './engine.ts';

/** A factory like @trellis/kube's: one informer per kind, a stopped one replaced on the next request. */
function factory(): InformerFactory & { made: (Informer & { stopped: boolean })[] } {
  const byKind = new Map<string, Informer & { stopped: boolean }>();
  const made: (Informer & { stopped: boolean })[] = [];
  return {
    made,
    informerFor<T extends KubeObject = KubeObject>(type: TypeRef): Informer<T> {
      const k = `${type.apiVersion}|${type.kind}`;
      let inf = byKind.get(k);
      if (inf === undefined || inf.stopped) {
        const i: Informer & { stopped: boolean } = {
          stopped: false,
          addHandler: () => () => {},
          start: async () => {},
          stop: () => {
            i.stopped = true;
          },
          hasSynced: () => true,
          get: () => undefined,
          list: () => [],
          lastSyncResourceVersion: () => '1',
        };
        inf = i;
        byKind.set(k, i);
        made.push(i);
      }
      return inf as unknown as Informer<T>;
    },
    stopAll: () => {},
  };
}

const XR: TypeRef = { apiVersion: 'p0.example.org/v1', kind: 'XWidget' };

describe('informer users (the informers of an XRD kind)', () => {
  it.each([
    {
      reason: 'the last user releasing stops the informer (its XRD and CRD are gone)',
      run: (u: ReturnType<typeof newInformerUsers>) => {
        const a = u.acquire(XR);
        const b = u.acquire(XR);
        u.release(XR, a);
        u.release(XR, b);
      },
      stopped: [true],
      users: 0,
    },
    {
      reason: 'one of two users releasing keeps it running (the claim controller still uses the XR informer)',
      run: (u: ReturnType<typeof newInformerUsers>) => {
        const a = u.acquire(XR);
        u.acquire(XR);
        u.release(XR, a);
      },
      stopped: [false],
      users: 1,
    },
    {
      reason: 'the kind coming back gets a fresh informer, which the release of the old one does not touch',
      run: (u: ReturnType<typeof newInformerUsers>) => {
        const old = u.acquire(XR);
        u.release(XR, old);
        u.acquire(XR);
        u.release(XR, old);
      },
      stopped: [true, false],
      users: 1,
    },
  ])('$reason', ({ run, stopped, users }) => {
    const f = factory();
    const u = newInformerUsers(f);
    run(u);
    expect(f.made.map((i) => i.stopped)).toEqual(stopped);
    expect(u.users(XR)).toBe(users);
  });
});
