/**
 * Differential test: the XR and claim CRDs Trellis generates from an XRD against the ones
 * upstream generates (crossplane-runtime pkg/xcrd ForCompositeResource/ForCompositeResourceClaim,
 * the code Crossplane core v2.3.4's XRD controller calls), through the render oracle. Every XRD in
 * test/render/xrds/ is compared after the API server's XRD defaults are applied to both inputs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultXrd, forCompositeResource, forCompositeResourceClaim } from '@trellis/engine';
import type { KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { askOracle } from './oracle.ts';

const dir = join(import.meta.dirname, 'xrds');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

/** Strip drops what Go's struct encoding adds (zero status, null timestamp) and our TypeMeta. */
function strip(crd: unknown): unknown {
  const o = structuredClone(crd) as Record<string, unknown>;
  delete o.status;
  delete o.apiVersion;
  delete o.kind;
  const m = o.metadata as Record<string, unknown>;
  if (m.creationTimestamp === null) delete m.creationTimestamp;
  return o;
}

describe('XRD to CRD matches upstream xcrd', () => {
  it.each(files)('%s', async (f) => {
    const xrd = defaultXrd(parse(readFileSync(join(dir, f), 'utf8')) as KubeObject);
    const [answer] = await askOracle([{ op: 'xcrd', json: xrd }]);
    expect(answer?.err).toBeUndefined();
    expect(strip(forCompositeResource(xrd))).toEqual(strip(answer?.xr));
    const hasClaims = (xrd.spec as Record<string, unknown>).claimNames !== undefined;
    if (hasClaims) expect(strip(forCompositeResourceClaim(xrd))).toEqual(strip(answer?.claim));
    else expect(answer?.claim).toBeUndefined();
  });
});
