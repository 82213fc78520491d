import { createHash } from 'node:crypto';
import { asControllerRef, type KubeObject, TrellisError } from '@trellis/sdk';
import { isPlainObject } from '../../apply/fields.ts';
import { marshalGoYaml } from '../../render/goyaml.ts';
import type { RevisionFactory } from '../composition/reconciler.ts';
import type { CrdRenderer } from './reconciler.ts';
import { xrdScope } from './xrd.ts';

/**
 * Minimal stand-ins for the render helper's XRD→CRD generator and revision factory, used only
 * when the engine is started without them. They keep the user's schema and let Crossplane's
 * machinery through (`x-kubernetes-preserve-unknown-fields` on spec and status) instead of
 * injecting upstream's exact fields. The engine adds its own status fields with
 * `withTrellisStatus` to whichever renderer it uses.
 */
export const fallbackCrds: CrdRenderer = {
  composite(xrd) {
    return crdFor(xrd, 'composite');
  },
  claim(xrd) {
    const spec = isPlainObject(xrd.spec) ? xrd.spec : {};
    return isPlainObject(spec.claimNames) ? crdFor(xrd, 'claim') : undefined;
  },
};

function crdFor(xrd: KubeObject, role: 'composite' | 'claim'): KubeObject {
  const spec = isPlainObject(xrd.spec) ? xrd.spec : {};
  const group = spec.group;
  const names = role === 'composite' ? spec.names : spec.claimNames;
  if (typeof group !== 'string' || group === '') throw new TrellisError('ENGINE_XRD_INVALID', 'spec.group: Required value');
  if (!isPlainObject(names) || typeof names.plural !== 'string' || typeof names.kind !== 'string') {
    throw new TrellisError(
      'ENGINE_XRD_INVALID',
      `spec.${role === 'composite' ? 'names' : 'claimNames'}: Required value: kind and plural are required`,
    );
  }
  if (role === 'composite' && xrd.metadata.name !== `${names.plural}.${group}`) {
    throw new TrellisError(
      'ENGINE_XRD_INVALID',
      `metadata.name: Invalid value: "${xrd.metadata.name ?? ''}": must be spec.names.plural + "." + spec.group`,
    );
  }
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isPlainObject) : [];
  if (versions.length === 0) throw new TrellisError('ENGINE_XRD_INVALID', 'spec.versions: Required value');
  const scope = xrdScope(xrd);
  const category = role === 'composite' ? 'composite' : 'claim';
  const plural = names.plural;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}`, ownerReferences: [asControllerRef(xrd)] },
    spec: {
      group,
      names: { ...names, categories: [...(Array.isArray(names.categories) ? names.categories : []), category] },
      scope: role === 'claim' || scope === 'Namespaced' ? 'Namespaced' : 'Cluster',
      versions: versions.map((v, i) => {
        const schema = isPlainObject(v.schema) && isPlainObject(v.schema.openAPIV3Schema) ? v.schema.openAPIV3Schema : {};
        const props = isPlainObject(schema.properties) ? schema.properties : {};
        const userSpec = isPlainObject(props.spec) ? props.spec : {};
        const userStatus = isPlainObject(props.status) ? props.status : {};
        return {
          name: typeof v.name === 'string' ? v.name : `v${i}`,
          served: v.served !== false,
          storage: v.referenceable === true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { ...userSpec, type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                status: {
                  ...userStatus,
                  type: 'object',
                  'x-kubernetes-preserve-unknown-fields': true,
                },
              },
            },
          },
          additionalPrinterColumns: [
            { name: 'SYNCED', type: 'string', jsonPath: ".status.conditions[?(@.type=='Synced')].status" },
            { name: 'READY', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
            { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
        };
      }),
    },
  };
}

/** FallbackRevisions hashes and names revisions as upstream does, from the raw Composition. */
export const fallbackRevisions: RevisionFactory = {
  hash(c) {
    const h = createHash('sha256');
    h.update(marshalGoYaml(c.metadata.labels ?? null));
    h.update(marshalGoYaml(c.metadata.annotations ?? null));
    h.update(marshalGoYaml(c.spec ?? {}));
    return h.digest('hex');
  },
  build(c, revision) {
    const hash = fallbackRevisions.hash(c).slice(0, 63);
    const spec = isPlainObject(c.spec) ? c.spec : {};
    const annotations = c.metadata.annotations;
    return {
      apiVersion: 'apiextensions.crossplane.io/v1',
      kind: 'CompositionRevision',
      metadata: {
        name: `${c.metadata.name ?? ''}-${hash.slice(0, 7)}`,
        labels: {
          ...(c.metadata.labels ?? {}),
          'crossplane.io/composition-name': c.metadata.name ?? '',
          'crossplane.io/composition-hash': hash,
        },
        ...(annotations === undefined ? {} : { annotations: { ...annotations } }),
        ownerReferences: [asControllerRef(c)],
      },
      spec: { ...spec, revision },
    };
  },
};
