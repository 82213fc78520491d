import type { Schema } from '@trellis/runtime';
import { credentialsSchema, managedResourceCrd, providerConfigCrd, providerConfigUsageCrd } from '@trellis/runtime';
import type { KubeObject } from '@trellis/sdk';
import { kubernetesGroup } from './object.ts';

const objectForProvider: Schema = {
  type: 'object',
  required: ['manifest'],
  properties: {
    manifest: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, 'x-kubernetes-embedded-resource': true },
    deletionPropagationPolicy: { type: 'string', enum: ['Orphan', 'Background', 'Foreground'] },
  },
};

const providerConfigSpec: Schema = {
  type: 'object',
  required: ['credentials'],
  properties: {
    credentials: {
      ...credentialsSchema,
      properties: {
        ...(credentialsSchema.properties as Record<string, Schema>),
        source: { type: 'string', enum: ['None', 'Secret', 'Environment', 'Filesystem', 'InjectedIdentity'] },
      },
    },
  },
};

/** Crds returns every CRD provider-kubernetes serves. */
export function crds(): KubeObject[] {
  const object = managedResourceCrd({ group: kubernetesGroup, kind: 'Object', forProvider: objectForProvider });
  // Objects also carry `spec.readiness` next to forProvider, as upstream's do.
  const version = (
    object.spec as { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, Schema> } } } } }[] }
  ).versions[0];
  if (version !== undefined) {
    version.schema.openAPIV3Schema.properties.spec.properties.readiness = {
      type: 'object',
      properties: { policy: { type: 'string', enum: ['SuccessfulCreate', 'DeriveFromObject', 'AllTrue'], default: 'SuccessfulCreate' } },
    };
  }
  return [providerConfigCrd(kubernetesGroup, providerConfigSpec), providerConfigUsageCrd(kubernetesGroup), object];
}
