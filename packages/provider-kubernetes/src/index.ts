export { crds } from './crds.ts';
export type { ObjectConnectorOptions } from './object.ts';
export {
  containsManifest,
  externalNameOf,
  KubernetesCode,
  kubernetesConfigKinds,
  kubernetesGroup,
  manifestOf,
  newObjectConnector,
  objectApiVersion,
  objectClient,
  ReadinessPolicy,
} from './object.ts';
export { definition, kubernetesKinds } from './provider.ts';
