import type { ManagedKind } from '@trellis/runtime';
import type { ObjectConnectorOptions } from './object.ts';
import { newObjectConnector, objectApiVersion } from './object.ts';

/** KubernetesKinds returns provider-kubernetes's managed kinds. Objects are named by their manifest (client-chosen). */
export function kubernetesKinds(o: ObjectConnectorOptions): ManagedKind[] {
  return [{ apiVersion: objectApiVersion, kind: 'Object', externalName: 'client', connector: newObjectConnector(o) }];
}
