import { type Informer, QueuePriority } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import type { Echoes } from './echoes.ts';

/**
 * Prioritised makes the event handler of a controller's own kind: adds from the informer's initial
 * list and updates that change nothing (a resync, `resourceVersion` unchanged) are Low, as in
 * controller-runtime's priority queue; every other add, update and delete is Normal. With
 * `echoes`, the echo of the controller's own write (`echoes.ts`) starts no reconcile.
 */
export function prioritised(
  informer: Pick<Informer<KubeObject>, 'hasSynced'>,
  enqueue: (obj: KubeObject, priority: number) => void,
  echoes?: Pick<Echoes, 'echo' | 'forget'>,
): { onAdd: (o: KubeObject) => void; onUpdate: (o: KubeObject, n: KubeObject) => void; onDelete: (o: KubeObject) => void } {
  return {
    onAdd: (o) => {
      if (echoes?.echo(o) === true) return;
      enqueue(o, informer.hasSynced() ? QueuePriority.Normal : QueuePriority.Low);
    },
    onUpdate: (o, n) => {
      if (o.metadata.resourceVersion === n.metadata.resourceVersion) return enqueue(n, QueuePriority.Low);
      if (echoes?.echo(n) === true) return;
      enqueue(n, QueuePriority.Normal);
    },
    onDelete: (o) => {
      echoes?.forget(o);
      enqueue(o, QueuePriority.Normal);
    },
  };
}
