import type { KubeClient } from '@trellis/kube';
import { newInformerFactory, newWorkQueue, runController } from '@trellis/kube';
import type { Logger } from '@trellis/sdk';
import { nopLogger } from '@trellis/sdk';
import type { ControllerMachinery } from './controller.ts';

/** WorkQueueOptions: per-item backoff from baseDelayMs doubling to maxDelayMs; rate-limited adds share a token bucket. */
export interface WorkQueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  qps?: number;
  burst?: number;
}

/**
 * KubeMachinery is @trellis/kube's controller machinery: shared informers (list, watch with
 * bookmarks, relist on 410, stall detection), client-go style work queues (upstream providers'
 * defaults: per-item backoff from 1 s to 60 s, a global token bucket) and runController.
 */
export function kubeMachinery(client: KubeClient, o: { log?: Logger; queue?: WorkQueueOptions } = {}): ControllerMachinery {
  const log = o.log ?? nopLogger;
  const q = { baseDelayMs: 1_000, maxDelayMs: 60_000, qps: 50, burst: 500, ...(o.queue ?? {}) };
  return {
    informers: newInformerFactory(client, { log }),
    newQueue: () => newWorkQueue(q),
    run: (r) => runController(r),
  };
}
