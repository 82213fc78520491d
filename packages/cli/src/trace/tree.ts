import type { KubeClient } from '@trellis/kube';
import { isNotFound } from '@trellis/kube';
import { errorMessage, formatError, type KubeObject } from '@trellis/sdk';

/**
 * The tree `trellis trace` draws: a claim → its XR → the composed resources (recursively, for
 * nested XRs) → connection Secrets; or a package → its revisions → its dependencies (from the
 * Lock). Every reference is followed with a GET; a reference that cannot be read becomes a node
 * carrying the error, so the rest of the tree is still shown.
 */
export interface TraceNode {
  object: KubeObject;
  /** Error says why the object could not be read (not found, forbidden, ...). */
  error?: string;
  children: TraceNode[];
}

export interface Ref {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface ResourceTreeOptions {
  /** ShowSecrets adds connection Secrets (names only; values are never fetched into the output unredacted). */
  showSecrets: boolean;
  signal?: AbortSignal;
  /** Concurrency bounds parallel GETs (default 8). */
  concurrency?: number;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function spec(o: KubeObject): Obj {
  return isObj(o.spec) ? o.spec : {};
}

function asRef(v: unknown): Ref | undefined {
  if (!isObj(v) || typeof v.apiVersion !== 'string' || typeof v.kind !== 'string' || typeof v.name !== 'string') return undefined;
  return {
    apiVersion: v.apiVersion,
    kind: v.kind,
    name: v.name,
    ...(typeof v.namespace === 'string' && v.namespace !== '' ? { namespace: v.namespace } : {}),
  };
}

/** IsClaim: a claim points at its XR with spec.resourceRef. */
export function isClaim(o: KubeObject): boolean {
  return asRef(spec(o).resourceRef) !== undefined;
}

/** ComposedRefs reads an XR's references to its composed resources (v2 spec.crossplane.resourceRefs, or legacy spec.resourceRefs). */
export function composedRefs(o: KubeObject): Ref[] {
  const s = spec(o);
  const v2 = isObj(s.crossplane) ? s.crossplane.resourceRefs : undefined;
  const list = Array.isArray(v2) ? v2 : Array.isArray(s.resourceRefs) ? s.resourceRefs : [];
  return list.map(asRef).filter((r): r is Ref => r !== undefined);
}

/** IsComposite reports whether an object has composed resources (or is an XR without any yet). */
export function isComposite(o: KubeObject): boolean {
  const s = spec(o);
  return Array.isArray(s.resourceRefs) || (isObj(s.crossplane) && Array.isArray(s.crossplane.resourceRefs));
}

function secretRef(o: KubeObject): Ref | undefined {
  const w = spec(o).writeConnectionSecretToRef;
  if (!isObj(w) || typeof w.name !== 'string' || w.name === '') return undefined;
  const ns = typeof w.namespace === 'string' && w.namespace !== '' ? w.namespace : o.metadata.namespace;
  return { apiVersion: 'v1', kind: 'Secret', name: w.name, ...(ns === undefined ? {} : { namespace: ns }) };
}

/** Placeholder is what a node shows for an object that could not be read. */
function placeholder(ref: Ref): KubeObject {
  return {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: { name: ref.name, ...(ref.namespace === undefined ? {} : { namespace: ref.namespace }) },
  };
}

/** A Limiter runs at most `n` tasks at once. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (active >= n) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** BuildResourceTree follows claim, XR, composed resource and Secret references from `root`. */
export async function buildResourceTree(client: KubeClient, root: KubeObject, opts: ResourceTreeOptions): Promise<TraceNode> {
  const limit = limiter(opts.concurrency ?? 8);
  const call = opts.signal === undefined ? {} : { signal: opts.signal };
  const seen = new Set<string>();
  const namespaced = new Map<string, Promise<boolean>>();

  const isNamespaced = (ref: Ref): Promise<boolean> => {
    const k = `${ref.apiVersion}|${ref.kind}`;
    let p = namespaced.get(k);
    if (p === undefined) {
      p = client.resourceFor({ apiVersion: ref.apiVersion, kind: ref.kind }, call).then(
        (r) => r.namespaced,
        () => false,
      );
      namespaced.set(k, p);
    }
    return p;
  };

  const fetch = async (ref: Ref, parent: KubeObject): Promise<TraceNode> => {
    const ns = ref.namespace ?? ((await isNamespaced(ref)) ? parent.metadata.namespace : undefined);
    const full: Ref = { ...ref, ...(ns === undefined ? {} : { namespace: ns }) };
    try {
      const o = await limit(() =>
        client.get({ apiVersion: full.apiVersion, kind: full.kind, name: full.name, ...(ns === undefined ? {} : { namespace: ns }) }, call),
      );
      return await expand(o);
    } catch (err) {
      if (opts.signal?.aborted === true) throw err;
      return { object: placeholder(full), error: isNotFound(err) ? 'not found' : formatError(err), children: [] };
    }
  };

  const expand = async (o: KubeObject): Promise<TraceNode> => {
    const key = `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name ?? ''}`;
    if (seen.has(key)) return { object: o, error: 'already shown above (a reference cycle)', children: [] };
    seen.add(key);
    const refs: Ref[] = [];
    const claimRef = asRef(spec(o).resourceRef);
    if (claimRef !== undefined) refs.push(claimRef);
    refs.push(...composedRefs(o));
    const secret = opts.showSecrets ? secretRef(o) : undefined;
    const children = await Promise.all(refs.map((r) => fetch(r, o)));
    if (secret !== undefined) children.push(await secretNode(secret));
    return { object: o, children };
  };

  /** SecretNode reads only the Secret's metadata: its values never enter the tree. */
  const secretNode = async (ref: Ref): Promise<TraceNode> => {
    try {
      const list = await limit(() =>
        client.list(
          { apiVersion: 'v1', kind: 'Secret' },
          {
            ...call,
            ...(ref.namespace === undefined ? {} : { namespace: ref.namespace }),
            fieldSelector: `metadata.name=${ref.name}`,
            metadataOnly: true,
          },
        ),
      );
      const s = list.items[0];
      if (s === undefined) return { object: placeholder(ref), error: 'not found', children: [] };
      return { object: { ...s, apiVersion: 'v1', kind: 'Secret' }, children: [] };
    } catch (err) {
      return { object: placeholder(ref), error: errorMessage(err), children: [] };
    }
  };

  return expand(root);
}
