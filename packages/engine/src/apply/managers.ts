import { createHash } from 'node:crypto';
import { parseApiVersion } from '@trellis/sdk';

/** Upstream's field owners; Trellis uses the same names so that it can take over from Crossplane. */
export const FieldOwner = {
  /** Composite owns the fields the XR controller writes on XRs (resourceRefs, status). */
  Composite: 'apiextensions.crossplane.io/composite',
  /** Claim owns the fields the claim controller writes on the XR it binds. */
  Claim: 'apiextensions.crossplane.io/claim',
  /** ComposedPrefix prefixes the per-XR field owner of composed resources. */
  ComposedPrefix: 'apiextensions.crossplane.io/composed',
  /** Definition owns the CRDs the XRD controller applies. */
  Definition: 'apiextensions.crossplane.io/definition',
  /** Revision owns the CompositionRevisions the Composition controller applies. */
  Revision: 'apiextensions.crossplane.io/composition',
} as const;

/**
 * ComposedFieldManager returns the field manager for the composed resources of one XR, as upstream
 * names it: `apiextensions.crossplane.io/composed/<sha256(name + GroupKind)>` where GroupKind is
 * printed `Kind.group`. A distinct manager per XR stops two XRs that compose the same object from
 * taking turns as its controller.
 */
export function composedFieldManager(xr: { apiVersion: string; kind: string; metadata: { name?: string } }): string {
  const { group } = parseApiVersion(xr.apiVersion);
  const gk = group === '' ? xr.kind : `${xr.kind}.${group}`;
  const h = createHash('sha256')
    .update(`${xr.metadata.name ?? ''}${gk}`)
    .digest('hex');
  return `${FieldOwner.ComposedPrefix}/${h}`;
}
