import { compileVersionSchema, type FieldCause, type VersionSchema, validateCrd } from '@trellis/apiserver';
import { formatFieldError, validateXrd, xcrdRenderer } from '@trellis/engine';
import { errorMessage, type KubeObject, parseApiVersion } from '@trellis/sdk';
import type { Source } from '../input/load.ts';

/**
 * The schemas `trellis validate` validates against: CRDs as given, the CRDs generated from
 * XRDs (the XR's and the claim's, exactly as the engine serves them), CRDs from packages, and —
 * at the lowest priority — the CRDs of the APIs Trellis itself serves (Compositions, XRDs,
 * packages). Each served version is compiled once with the embedded API server's schema library,
 * so pruning, defaulting, OpenAPI keywords and CEL rules behave as on the server.
 */

/** Where a schema came from, for messages. */
export type SchemaOrigin = { kind: 'file'; source: Source } | { kind: 'package'; ref: string } | { kind: 'builtin' };

/** An ExtensionProblem is something wrong with an XRD, a CRD or a package given as an extension. */
export interface ExtensionProblem {
  apiVersion: string;
  kind: string;
  name: string;
  origin: SchemaOrigin;
  field: string;
  message: string;
}

/** A SchemaEntry is one served version of one kind. */
export interface SchemaEntry {
  crdName: string;
  group: string;
  version: string;
  kind: string;
  namespaced: boolean;
  served: boolean;
  origin: SchemaOrigin;
  schema: VersionSchema;
}

const CrdApiVersion = 'apiextensions.k8s.io/v1';
const XrdGroup = 'apiextensions.crossplane.io';

export function isCrd(o: KubeObject): boolean {
  return o.apiVersion === CrdApiVersion && o.kind === 'CustomResourceDefinition';
}

export function isXrd(o: KubeObject): boolean {
  return parseApiVersion(o.apiVersion).group === XrdGroup && o.kind === 'CompositeResourceDefinition';
}

function gvkKey(apiVersion: string, kind: string): string {
  return `${apiVersion}|${kind}`;
}

/** A SchemaSet maps apiVersion and kind to a compiled schema. */
export class SchemaSet {
  readonly #byGvk = new Map<string, SchemaEntry>();
  readonly problems: ExtensionProblem[] = [];

  /** Get finds the schema of an object's apiVersion and kind. */
  get(apiVersion: string, kind: string): SchemaEntry | undefined {
    return this.#byGvk.get(gvkKey(apiVersion, kind));
  }

  /** Size is the number of kinds and versions known. */
  get size(): number {
    return this.#byGvk.size;
  }

  /** Kinds lists `group/version, Kind=K` of every known schema (sorted). */
  kinds(): string[] {
    return [...this.#byGvk.values()].map((e) => `${e.group}/${e.version}, Kind=${e.kind}`).sort();
  }

  /**
   * AddCrd adds every version of a CRD. Problems with the CRD itself (what the API server would
   * refuse at creation) are recorded; versions that still compile are used. With `override`
   * false an existing entry wins (built-ins never replace what the user gave).
   */
  addCrd(crd: KubeObject, origin: SchemaOrigin, override = true): void {
    const name = crd.metadata?.name ?? '';
    for (const c of safeValidateCrd(crd)) this.problem(crd, origin, c.field, `${c.field === '' ? '' : `${c.field}: `}${c.message}`);
    const spec = (crd.spec ?? {}) as Record<string, unknown>;
    const names = (spec.names ?? {}) as Record<string, unknown>;
    const group = typeof spec.group === 'string' ? spec.group : '';
    const kind = typeof names.kind === 'string' ? names.kind : '';
    const namespaced = spec.scope !== 'Cluster';
    const versions = Array.isArray(spec.versions) ? (spec.versions as Record<string, unknown>[]) : [];
    for (const [i, v] of versions.entries()) {
      if (typeof v !== 'object' || v === null || typeof v.name !== 'string') continue;
      const key = gvkKey(group === '' ? v.name : `${group}/${v.name}`, kind);
      if (!override && this.#byGvk.has(key)) continue;
      const schema = ((v.schema ?? {}) as Record<string, unknown>).openAPIV3Schema as Record<string, unknown> | undefined;
      try {
        const compiled = compileVersionSchema(schema, { group, version: v.name, kind, namespaced });
        this.#byGvk.set(key, {
          crdName: name,
          group,
          version: v.name,
          kind,
          namespaced,
          served: v.served !== false,
          origin,
          schema: compiled,
        });
      } catch (err) {
        this.problem(crd, origin, `spec.versions[${i}].schema.openAPIV3Schema`, `cannot compile schema: ${errorMessage(err)}`);
      }
    }
  }

  /** AddXrd validates an XRD as the engine does and adds the XR's and the claim's CRDs. */
  addXrd(xrd: KubeObject, origin: SchemaOrigin, override = true): void {
    const errs = validateXrd(xrd);
    for (const e of errs) this.problem(xrd, origin, e.field, formatFieldError(e));
    if (errs.length > 0) return;
    try {
      this.addCrd(xcrdRenderer.composite(xrd), origin, override);
      const claim = xcrdRenderer.claim(xrd);
      if (claim !== undefined) this.addCrd(claim, origin, override);
    } catch (err) {
      this.problem(xrd, origin, '', `cannot generate CRDs: ${errorMessage(err)}`);
    }
  }

  private problem(o: KubeObject, origin: SchemaOrigin, field: string, message: string): void {
    this.problems.push({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata?.name ?? '', origin, field, message });
  }
}

function safeValidateCrd(crd: KubeObject): FieldCause[] {
  try {
    return validateCrd(crd);
  } catch (err) {
    return [{ reason: 'InternalError', field: '', message: `cannot validate CRD: ${errorMessage(err)}` }];
  }
}
