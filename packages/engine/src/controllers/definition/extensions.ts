import type { KubeObject } from '@trellis/sdk';
import { isPlainObject } from '../../apply/fields.ts';
import { PipelineResultsField } from '../../status/results.ts';
import type { CrdRenderer } from './reconciler.ts';

/**
 * The status schema of the per-step results Trellis keeps on XRs and claims (`status.pipelineResults`).
 */
export const PipelineResultsSchema: Record<string, unknown> = {
  type: 'array',
  description: 'Results of the last composition pipeline run, per step (Trellis). Kept until the next run.',
  maxItems: 32,
  'x-kubernetes-list-type': 'atomic',
  items: {
    type: 'object',
    required: ['severity', 'message'],
    properties: {
      step: { type: 'string', description: 'The pipeline step that returned the result.' },
      severity: { type: 'string', enum: ['Fatal', 'Warning', 'Normal'] },
      reason: { type: 'string' },
      message: { type: 'string', maxLength: 1024 },
      resource: { type: 'string', description: 'The composition resource name the result is about.' },
      fieldPath: { type: 'string', description: 'The field path the result is about.' },
      target: { type: 'string', enum: ['Composite', 'CompositeAndClaim'] },
    },
  },
};

/** The kstatus generation field: defaulted to 0 so a new object reads as not yet observed. */
export const ObservedGenerationSchema: Record<string, unknown> = {
  type: 'integer',
  format: 'int64',
  default: 0,
  description: 'The metadata.generation the engine last reconciled (Trellis; read by kstatus, helm --wait, Argo CD).',
};

/**
 * WithTrellisStatus decorates a CRD renderer so the XR and claim CRDs it generates carry the
 * status fields the engine writes beyond upstream: `pipelineResults`, and `observedGeneration`
 * with a `status` that defaults to `{}`. The default makes the API server return
 * `status.observedGeneration: 0` for a brand-new object, so kstatus (helm 4 `--wait`) reports it
 * in progress until the engine has reconciled it, instead of Current at birth.
 */
export function withTrellisStatus(inner: CrdRenderer): CrdRenderer {
  return {
    composite: (xrd) => extend(inner.composite(xrd)),
    claim: (xrd) => {
      const crd = inner.claim(xrd);
      return crd === undefined ? undefined : extend(crd);
    },
  };
}

function extend(crd: KubeObject): KubeObject {
  const out = structuredClone(crd);
  const spec = isPlainObject(out.spec) ? out.spec : {};
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  for (const v of versions) {
    if (!isPlainObject(v) || !isPlainObject(v.schema) || !isPlainObject(v.schema.openAPIV3Schema)) continue;
    const root = v.schema.openAPIV3Schema;
    const props = isPlainObject(root.properties) ? root.properties : {};
    root.properties = props;
    const status = isPlainObject(props.status) ? props.status : { type: 'object' };
    props.status = status;
    if (status.default === undefined) status.default = {};
    const sp = isPlainObject(status.properties) ? status.properties : {};
    status.properties = sp;
    sp.observedGeneration ??= ObservedGenerationSchema;
    sp[PipelineResultsField] ??= PipelineResultsSchema;
  }
  return out;
}
