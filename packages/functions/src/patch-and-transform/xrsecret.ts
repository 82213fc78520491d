/** The connection Secret P&T composes for v2 XRs (connection.go: composeConnectionSecret). */
import { goWrap } from '../errors.ts';
import { getValue, type JsonMap } from '../fieldpath/fieldpath.ts';
import type { Resource } from '../protocol/types.ts';
import type { ResourcesInput } from './input.ts';
import { fromFieldPathPolicy, patchType } from './input.ts';
import { applyCombinePatch, applyFromFieldPathPatch } from './patches.ts';

/** SupportsConnectionDetails: legacy XRs (no spec.crossplane) publish details themselves. */
export function supportsConnectionDetails(xr: JsonMap): boolean {
  try {
    getValue(xr, 'spec.crossplane');
    return false;
  } catch {
    return true;
  }
}

export function composeConnectionSecret(
  xr: JsonMap,
  details: Record<string, Uint8Array>,
  ref: ResourcesInput['writeConnectionSecretToRef'],
): Resource | undefined {
  if (Object.keys(details).length === 0) return undefined;
  let secretRef: { name: string; namespace: string };
  try {
    secretRef = connectionSecretRef(xr, ref);
  } catch (e) {
    throw goWrap(e, 'cannot generate connection secret reference');
  }
  const data: Record<string, string> = {};
  for (const k of Object.keys(details).sort()) data[k] = Buffer.from(details[k] ?? new Uint8Array()).toString('base64');
  const metadata: JsonMap = {};
  if (secretRef.name !== '') metadata.name = secretRef.name;
  if (secretRef.namespace !== '') metadata.namespace = secretRef.namespace;
  const resource: JsonMap = { apiVersion: 'v1', kind: 'Secret' };
  if (Object.keys(metadata).length > 0) resource.metadata = metadata;
  resource.data = data;
  resource.type = 'connection.crossplane.io/v1alpha1';
  return {
    resource,
    ready: 'READY_TRUE',
  };
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function connectionSecretRef(xr: JsonMap, input: ResourcesInput['writeConnectionSecretToRef']): { name: string; namespace: string } {
  const spec = (xr.spec ?? {}) as JsonMap;
  const xrRef = spec.writeConnectionSecretToRef as JsonMap | undefined;
  let ref: { name: string; namespace: string };
  const meta = (xr.metadata ?? {}) as JsonMap;
  if (xrRef !== undefined && xrRef !== null && typeof xrRef === 'object') {
    ref = { name: str(xrRef.name), namespace: str(xrRef.namespace) };
  } else if (input !== undefined && ((input.name ?? '') !== '' || (input.namespace ?? '') !== '')) {
    ref = { name: input.name ?? '', namespace: input.namespace ?? '' };
  } else {
    ref = { name: `${str(meta.name)}-connection`, namespace: str(meta.namespace) };
  }
  const patches = input?.patches ?? [];
  if (patches.length === 0) return ref;
  const refObj: JsonMap = { apiVersion: 'v1', kind: 'SecretReference', name: ref.name, namespace: ref.namespace };
  for (const [i, p] of patches.entries()) {
    const t = patchType(p);
    try {
      if (t === 'FromCompositeFieldPath') {
        try {
          applyFromFieldPathPatch(p, xr, refObj);
        } catch (e) {
          if (fromFieldPathPolicy(p) === 'Optional') continue;
          throw e;
        }
      } else if (t === 'CombineFromComposite') {
        applyCombinePatch(p, xr, refObj);
      } else {
        throw new Error(`unsupported patch type ${t} at index ${i}`);
      }
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('unsupported patch type')) throw goWrap(e, 'cannot apply connection secret patches');
      throw goWrap(goWrap(e, `cannot apply patch type ${t} at index ${i}`), 'cannot apply connection secret patches');
    }
  }
  return {
    name: typeof refObj.name === 'string' ? refObj.name : ref.name,
    namespace: typeof refObj.namespace === 'string' ? refObj.namespace : ref.namespace,
  };
}
