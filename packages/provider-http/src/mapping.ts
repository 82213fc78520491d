import type { ReferenceSpec } from '@trellis/runtime';
import type { CompareMode } from './compare.ts';

/**
 * A RequestMapping renders one request. `path` is appended to the ProviderConfig's `baseUrl`;
 * placeholders in `path` and `query` are URL-escaped; `body` is a JSON template (see template.ts).
 */
export interface RequestMapping {
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * A FieldMapping ties one field of `spec.forProvider` to a JSONPath into the observed resource.
 * Drift is measured on mapped fields only, and only when the spec sets them.
 */
export interface FieldMapping {
  /** Field is a dotted path below `spec.forProvider`. */
  field: string;
  /** Observed is a JSONPath into the observed resource, e.g. `$.kind`. */
  observed: string;
  /** Many collects every match of `observed` into a list (e.g. `$.records[*].content`). */
  many?: boolean;
  /** Compare is how desired and observed are compared (default: subset). */
  compare?: CompareMode;
  /** LateInit copies the observed value into an unset spec field. */
  lateInit?: boolean;
  /** CreateOnly fields are sent on create and never compared (the API cannot change them later). */
  createOnly?: boolean;
}

/** A Condition on a JSONPath: true when the value found is one of `in`. */
export interface PathCondition {
  path: string;
  in: readonly unknown[];
}

/**
 * An HttpMapping declares one managed kind over a REST API: how to observe, create, update and
 * delete it, where its identifier comes from, how to find it without its identifier (lookup), and
 * which fields to compare.
 */
export interface HttpMapping {
  apiVersion: string;
  kind: string;
  /**
   * ExternalName: `client` kinds derive their identifier from the spec through `name`; `server`
   * kinds get it from the response to create (`create.id`).
   */
  externalName: 'client' | 'server';
  /** Name renders the external name of a `client` kind, e.g. `{{ spec.forProvider.name }}`. */
  name?: string;
  observe: RequestMapping & {
    /** Select picks the resource out of the response; no match means it does not exist. */
    select?: string;
    /** NotFound lists the statuses that mean "does not exist" (default 404). */
    notFound?: readonly number[];
    /** Gone: a resource that is still listed but counts as deleted (an expired silence). */
    gone?: PathCondition;
  };
  /** Create; `id` is the JSONPath of the new identifier in the response (server kinds). */
  create: RequestMapping & { id?: string };
  /** Update; `id` is the JSONPath of the identifier after the update, which may be a new one. */
  update?: RequestMapping & { id?: string };
  /** Delete; statuses in `notFound` (default 404) count as already deleted. */
  delete?: RequestMapping & { notFound?: readonly number[] };
  /**
   * Lookup finds the resource without its identifier: list `items` from `request`, keep those whose
   * `match` paths equal the rendered templates and that are not `exclude`d, take `id` of the only
   * match. More than one match is an error (the identity is not unique).
   */
  lookup?: {
    request: RequestMapping;
    items: string;
    match: Record<string, string>;
    id: string;
    exclude?: PathCondition;
  };
  fields: readonly FieldMapping[];
  /** References are resolvable fields (`fooRef`/`fooSelector`), resolved before every observe. */
  references?: readonly ReferenceSpec[];
  /** AtProvider copies observed values into `status.atProvider` (key → JSONPath). */
  atProvider?: Record<string, string>;
  /** Ready: Ready=True when the condition holds, else Ready=False with `message`; default: Ready when it exists. */
  ready?: PathCondition & { message?: string };
}
