import type { ManagedKind, ProviderDefinition } from '@trellis/runtime';
import { crds } from './crds.ts';
import type { ObjectConnectorOptions } from './object.ts';
import { kubernetesConfigKinds, newObjectConnector, objectApiVersion } from './object.ts';

/** KubernetesKinds returns provider-kubernetes's managed kinds. Objects are named by their manifest (client-chosen). */
export function kubernetesKinds(o: ObjectConnectorOptions): ManagedKind[] {
  return [{ apiVersion: objectApiVersion, kind: 'Object', externalName: 'client', connector: newObjectConnector(o) }];
}

/** Definition is provider-kubernetes as the runtime runs it. */
export const definition: ProviderDefinition = {
  name: 'provider-kubernetes',
  crds,
  providerConfig: kubernetesConfigKinds,
  kinds: (ctx) => kubernetesKinds({ reader: ctx.reader, local: ctx.client, targets: ctx.targets }),
};
