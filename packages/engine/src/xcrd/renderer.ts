import type { KubeObject } from '@trellis/sdk';
import { defaultXrd, forCompositeResource, forCompositeResourceClaim } from './crd.ts';
import { assertValidXrd } from './validate.ts';

/**
 * XcrdRenderer generates the CRDs of an XRD for the XRD controller: the XRD is validated
 * (ENGINE_XRD_INVALID naming every problem), defaulted as the API server would, and rendered
 * exactly as upstream renders it. The claim CRD is undefined when the XRD offers no claims.
 */
export const xcrdRenderer = {
  composite(xrd: KubeObject): KubeObject {
    assertValidXrd(xrd);
    return forCompositeResource(defaultXrd(xrd));
  },
  claim(xrd: KubeObject): KubeObject | undefined {
    const spec = xrd.spec as Record<string, unknown> | undefined;
    if (typeof spec?.claimNames !== 'object' || spec.claimNames === null) return undefined;
    assertValidXrd(xrd);
    return forCompositeResourceClaim(defaultXrd(xrd));
  },
};
