import type { KubeClient } from '@trellis/kube';
import type { KubeObject, ObjectRef } from '@trellis/sdk';
import { controllerOf, describeRef, TrellisError, wrap } from '@trellis/sdk';
import { RuntimeCode } from './errors.ts';
import { getPath, setPath } from './fields.ts';
import { getExternalName } from './meta.ts';

/**
 * A ReferenceSpec declares one resolvable field of a kind, the way crossplane-runtime's generated
 * `ResolveReferences` does: the value field `foo`, its `fooRef` (`{name, policy}`) and its
 * `fooSelector` (`{matchLabels, matchControllerRef, policy}`).
 */
export interface ReferenceSpec {
  /** Field is the dotted path of the value, e.g. `spec.forProvider.zone`. */
  field: string;
  /** RefField defaults to `${field}Ref`. */
  refField?: string;
  /** SelectorField defaults to `${field}Selector`. */
  selectorField?: string;
  /** To is the kind referenced. */
  to: { apiVersion: string; kind: string };
  /** Extract is a dotted path on the target; the default is the target's external name. */
  extract?: string;
  /** Namespaced: the target lives in the referencing resource's namespace (v2 style). Default: cluster-scoped. */
  namespaced?: boolean;
}

/** A ReferenceResolver fills referenced fields of a managed resource in place; returns whether anything changed. */
export interface ReferenceResolver {
  resolve(mr: KubeObject, signal?: AbortSignal): Promise<boolean>;
}

interface Policy {
  resolve: 'IfNotPresent' | 'Always';
  resolution: 'Required' | 'Optional';
}

function policyOf(v: unknown): Policy {
  const p = (typeof v === 'object' && v !== null ? (v as { policy?: unknown }).policy : undefined) as
    | { resolve?: unknown; resolution?: unknown }
    | undefined;
  return {
    resolve: p?.resolve === 'Always' ? 'Always' : 'IfNotPresent',
    resolution: p?.resolution === 'Optional' ? 'Optional' : 'Required',
  };
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

function labelSelector(matchLabels: Record<string, unknown>): string {
  return Object.keys(matchLabels)
    .sort()
    .map((k) => `${k}=${String(matchLabels[k])}`)
    .join(',');
}

/**
 * ApiReferenceResolver resolves references by reading the referenced objects from the API
 * server. Semantics follow crossplane-runtime `pkg/reference`: with the default `IfNotPresent`
 * policy a field that already has a value is left alone (so a resolved reference costs no reads
 * later); `Always` re-resolves every reconcile; `Optional` resolution ignores failures; a
 * selector picks the first match by name (optionally requiring the same controller) and records
 * it in the `Ref` field too.
 */
export function apiReferenceResolver(client: KubeClient, specs: readonly ReferenceSpec[]): ReferenceResolver {
  return {
    async resolve(mr, signal) {
      let changed = false;
      for (const spec of specs) {
        try {
          changed = (await resolveOne(client, mr, spec, signal)) || changed;
        } catch (err) {
          throw wrap(err, `cannot resolve reference ${spec.field}`, RuntimeCode.ReferenceUnresolved);
        }
      }
      return changed;
    },
  };
}

async function resolveOne(client: KubeClient, mr: KubeObject, spec: ReferenceSpec, signal: AbortSignal | undefined): Promise<boolean> {
  const refField = spec.refField ?? `${spec.field}Ref`;
  const selectorField = spec.selectorField ?? `${spec.field}Selector`;
  const current = getPath(mr, spec.field);
  const ref = getPath(mr, refField) as { name?: unknown } | undefined;
  const selector = getPath(mr, selectorField) as { matchLabels?: unknown; matchControllerRef?: unknown } | undefined;
  const opts = signal === undefined ? {} : { signal };
  const ns = spec.namespaced === true ? mr.metadata.namespace : undefined;

  const usingSelector = (ref === undefined || typeof ref.name !== 'string') && selector !== undefined;
  const pol = policyOf(usingSelector ? selector : ref);
  if (ref === undefined && selector === undefined) return false;
  if (!isEmpty(current) && pol.resolve === 'IfNotPresent') return false;

  try {
    let targetName: string;
    if (!usingSelector) {
      if (typeof ref?.name !== 'string' || ref.name === '') {
        throw new TrellisError(RuntimeCode.ReferenceUnresolved, `${refField}.name must be a non-empty string`);
      }
      targetName = ref.name;
    } else {
      const matchLabels = (
        typeof selector?.matchLabels === 'object' && selector.matchLabels !== null ? selector.matchLabels : {}
      ) as Record<string, unknown>;
      const list = await client.list(spec.to, {
        ...opts,
        labelSelector: labelSelector(matchLabels),
        ...(ns === undefined ? {} : { namespace: ns }),
      });
      const mine = controllerOf(mr)?.uid;
      const candidates = list.items
        .filter((o) => selector?.matchControllerRef !== true || (mine !== undefined && controllerOf(o)?.uid === mine))
        .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
      const first = candidates[0];
      if (first === undefined) {
        throw new TrellisError(RuntimeCode.ReferenceUnresolved, `no ${spec.to.kind} matches ${selectorField}`);
      }
      targetName = first.metadata.name ?? '';
    }
    const targetRef: ObjectRef = { ...spec.to, name: targetName, ...(ns === undefined ? {} : { namespace: ns }) };
    const target = await client.get(targetRef, opts);
    const value = spec.extract === undefined ? getExternalName(target) : getPath(target, spec.extract);
    if (isEmpty(value)) {
      throw new TrellisError(
        RuntimeCode.ReferenceUnresolved,
        `referenced field was empty (referenced resource may not yet be ready): ${describeRef(targetRef)} ${spec.extract ?? 'external name'}`,
      );
    }
    let changed = false;
    if (getPath(mr, spec.field) !== value) {
      setPath(mr as Record<string, unknown>, spec.field, value);
      changed = true;
    }
    if (usingSelector && (ref === undefined || ref.name !== targetName)) {
      setPath(mr as Record<string, unknown>, refField, { name: targetName });
      changed = true;
    }
    return changed;
  } catch (err) {
    if (pol.resolution === 'Optional') return false;
    throw err;
  }
}

/** NopResolver resolves nothing. */
export const nopResolver: ReferenceResolver = { resolve: async () => false };
