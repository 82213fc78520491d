// Shared helpers of the conformance suite. The suite is written once against KubeClient and runs
// against every target in apiServerTargets() (kube-apiserver now, the embedded server later):
// what it asserts is what Trellis relies on, so the embedded server must match it exactly.

import type { KubeClient, TypeRef, WatchEvent, WatchOptions } from '@trellis/kube';
import { KubeApiError } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { waitFor } from '../harness/targets.ts';

/** Rejection awaits a promise that must fail with a KubeApiError and returns the error. */
export async function rejection(p: Promise<unknown>): Promise<KubeApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KubeApiError) return err;
    throw err;
  }
  throw new Error('expected the call to fail with a KubeApiError');
}

/** ApiErrorShape is what the suite asserts about an API error. */
export function shape(err: KubeApiError): { code: string; status: number; reason: string; message: string } {
  return { code: err.code, status: err.status, reason: err.reason, message: err.serverMessage };
}

/** A Recorder accumulates the events of one watch until stopped. */
export interface Recorder<T extends KubeObject = KubeObject> {
  events: WatchEvent<T>[];
  /** Ended resolves when the stream ends: with undefined when the server closed it, or the error. */
  ended: Promise<unknown>;
  /** WaitFor polls until `pred(events)` holds (deadline 30 s). */
  waitFor(what: string, pred: (events: WatchEvent<T>[]) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Record starts a watch and records its events (not BOOKMARKs unless `bookmarks`). */
export function record<T extends KubeObject = KubeObject>(
  client: KubeClient,
  type: TypeRef,
  opts: WatchOptions & { bookmarks?: boolean } = {},
): Recorder<T> {
  const ac = new AbortController();
  const events: WatchEvent<T>[] = [];
  const { bookmarks, ...watchOpts } = opts;
  const ended = (async (): Promise<unknown> => {
    try {
      for await (const ev of client.watch<T>(type, { ...watchOpts, signal: ac.signal })) {
        if (ev.type === 'BOOKMARK' && bookmarks !== true) continue;
        events.push(ev);
      }
      return undefined;
    } catch (err) {
      return err;
    }
  })();
  return {
    events,
    ended,
    async waitFor(what, pred, timeoutMs = 30_000) {
      await waitFor(what, () => pred(events), { timeoutMs, intervalMs: 20 });
    },
    async stop() {
      ac.abort();
      await ended;
    },
  };
}

/** Summary prints an event as `TYPE name` for sequence assertions. */
export function summary(ev: WatchEvent): string {
  return `${ev.type} ${ev.object.metadata.name ?? ''}`;
}

/** Obj builds an object of a test kind. */
export function obj(
  apiVersion: string,
  kind: string,
  namespace: string | undefined,
  name: string,
  rest: Record<string, unknown> = {},
): KubeObject {
  const metadata: KubeObject['metadata'] = { name };
  if (namespace !== undefined) metadata.namespace = namespace;
  const { metadata: extraMeta, ...body } = rest as { metadata?: KubeObject['metadata'] };
  return { apiVersion, kind, metadata: { ...metadata, ...extraMeta }, ...body };
}

/** Rv reads metadata.resourceVersion as a number (RVs are opaque; the suite only compares order on one server). */
export function rv(o: KubeObject): number {
  return Number(o.metadata.resourceVersion);
}
