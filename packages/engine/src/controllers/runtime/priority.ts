import { type Informer, QueuePriority } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';

/**
 * Prioritised makes the event handler of a controller's own kind: adds from the informer's initial
 * list and updates that change nothing (a resync, `resourceVersion` unchanged) are Low, as in
 * controller-runtime's priority queue; every other add, update and delete is Normal.
 */
export function prioritised(
  informer: Pick<Informer<KubeObject>, 'hasSynced'>,
  enqueue: (obj: KubeObject, priority: number) => void,
): { onAdd: (o: KubeObject) => void; onUpdate: (o: KubeObject, n: KubeObject) => void; onDelete: (o: KubeObject) => void } {
  return {
    onAdd: (o) => enqueue(o, informer.hasSynced() ? QueuePriority.Normal : QueuePriority.Low),
    onUpdate: (o, n) => enqueue(n, o.metadata.resourceVersion === n.metadata.resourceVersion ? QueuePriority.Low : QueuePriority.Normal),
    onDelete: (o) => enqueue(o, QueuePriority.Normal),
  };
}
