// Small helpers to read conditions and wait on objects in the engine's end-to-end suites.

import type { KubeClient } from '@trellis/kube';
import type { KubeObject, ObjectRef } from '@trellis/sdk';
import { waitFor } from '../../harness/targets.ts';

export interface Cond {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

export function conditions(o: KubeObject | undefined): Cond[] {
  const s = o?.status as { conditions?: Cond[] } | undefined;
  return s?.conditions ?? [];
}

export function condition(o: KubeObject | undefined, type: string): Cond | undefined {
  return conditions(o).find((c) => c.type === type);
}

/** IsTrue reports Ready/Synced/... = True with observedGeneration equal to the object's generation. */
export function isCurrentTrue(o: KubeObject | undefined, type: string): boolean {
  const c = condition(o, type);
  return c?.status === 'True' && (c.observedGeneration === undefined || c.observedGeneration === o?.metadata.generation);
}

/** WaitForObject polls until `check(obj)` holds (obj may be undefined when absent). */
export async function waitForObject(
  client: KubeClient,
  ref: ObjectRef,
  what: string,
  check: (o: KubeObject | undefined) => boolean,
  timeoutMs = 60_000,
): Promise<KubeObject | undefined> {
  let last: KubeObject | undefined;
  try {
    await waitFor(
      what,
      async () => {
        last = await client.getIfExists(ref);
        return check(last);
      },
      { timeoutMs, intervalMs: 100 },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last?.status ?? last ?? null)}`);
  }
  return last;
}

/** WaitGone waits until an object no longer exists. */
export async function waitGone(client: KubeClient, ref: ObjectRef, timeoutMs = 60_000): Promise<void> {
  await waitForObject(client, ref, `${ref.kind} ${ref.namespace ?? ''}/${ref.name} to be gone`, (o) => o === undefined, timeoutMs);
}
