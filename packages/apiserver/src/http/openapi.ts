import { createHash } from 'node:crypto';
import type { JSONSchemaProps } from '../contracts.ts';
import type { Registry } from '../registry/registry.ts';
import { builtinSchemas, LIST_META, sharedSchemas } from '../registry/schemas.ts';
import type { ResourceType } from '../registry/types.ts';

/**
 * OpenAPI v3 documents, one per group-version, as kube-openapi's handler3 serves them: an index at
 * `/openapi/v3` whose URLs carry the uppercase hex SHA-512 of each document as `hash`, and the
 * documents with PATCH operations that declare `fieldValidation` (which is what makes kubectl and
 * helm send `fieldValidation=Strict` instead of validating client-side) and the kinds' schemas.
 */

export interface OpenApiDoc {
  path: string;
  json: string;
  hash: string;
}

function modelName(rt: ResourceType): string {
  if (rt.builtin) {
    const found = Object.entries(builtinSchemas).find(([, s]) => s === rt.openapiSchema);
    if (found !== undefined) return found[0];
  }
  const reversed = rt.group.split('.').reverse().join('.');
  return `${reversed}.${rt.version}.${rt.kind}`;
}

function opId(verb: string, rt: ResourceType, suffix = ''): string {
  const g = rt.group
    .split('.')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('')
    .replace(/[^A-Za-z0-9]/g, '');
  const v = rt.version.charAt(0).toUpperCase() + rt.version.slice(1);
  return `${verb}${g === '' ? 'Core' : g}${v}${rt.namespaced ? 'Namespaced' : ''}${rt.kind}${suffix}`;
}

const q = (name: string, type: string, description: string): Record<string, unknown> => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});
const P = {
  dryRun: q(
    'dryRun',
    'string',
    'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed',
  ),
  fieldManager: q('fieldManager', 'string', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  fieldValidation: q(
    'fieldValidation',
    'string',
    'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn (default), Strict.',
  ),
  force: q(
    'force',
    'boolean',
    'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people.',
  ),
  pretty: q('pretty', 'string', "If 'true', then the output is pretty printed."),
  labelSelector: q('labelSelector', 'string', 'A selector to restrict the list of returned objects by their labels.'),
  fieldSelector: q('fieldSelector', 'string', 'A selector to restrict the list of returned objects by their fields.'),
  limit: q('limit', 'integer', 'limit is a maximum number of responses to return for a list call.'),
  continue: q('continue', 'string', 'The continue option should be set when retrieving more results from the server.'),
  resourceVersion: q(
    'resourceVersion',
    'string',
    'resourceVersion sets a constraint on what resource versions a request may be served from.',
  ),
  resourceVersionMatch: q(
    'resourceVersionMatch',
    'string',
    'resourceVersionMatch determines how resourceVersion is applied to list calls.',
  ),
  watch: q(
    'watch',
    'boolean',
    'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.',
  ),
  allowWatchBookmarks: q('allowWatchBookmarks', 'boolean', 'allowWatchBookmarks requests watch events with type "BOOKMARK".'),
  sendInitialEvents: q('sendInitialEvents', 'boolean', '`sendInitialEvents=true` may be set together with `watch=true`.'),
  timeoutSeconds: q('timeoutSeconds', 'integer', 'Timeout for the list/watch call.'),
  gracePeriodSeconds: q('gracePeriodSeconds', 'integer', 'The duration in seconds before the object should be deleted.'),
  propagationPolicy: q(
    'propagationPolicy',
    'string',
    "Whether and how garbage collection will be performed: 'Orphan', 'Background' or 'Foreground'.",
  ),
  name: { name: 'name', in: 'path', description: 'name of the resource', required: true, schema: { type: 'string', uniqueItems: true } },
  namespace: {
    name: 'namespace',
    in: 'path',
    description: 'object name and auth scope, such as for teams and projects',
    required: true,
    schema: { type: 'string', uniqueItems: true },
  },
};

function ok(schemaRef: string): Record<string, unknown> {
  const content = { schema: { $ref: `#/components/schemas/${schemaRef}` } };
  return { '200': { description: 'OK', content: { 'application/json': content, 'application/yaml': content } } };
}

function jsonBody(schemaRef: string): Record<string, unknown> {
  return { content: { '*/*': { schema: { $ref: `#/components/schemas/${schemaRef}` } } }, required: true };
}

const PATCH_BODY_CR = {
  content: {
    'application/json-patch+json': { schema: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' } },
    'application/merge-patch+json': { schema: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' } },
    'application/apply-patch+yaml': { schema: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' } },
  },
  required: true,
};

function resourcePaths(rt: ResourceType, model: string): Record<string, unknown> {
  const gvk = { group: rt.group, version: rt.version, kind: rt.kind };
  const prefix = rt.group === '' ? `/api/${rt.version}` : `/apis/${rt.group}/${rt.version}`;
  const nsPart = rt.namespaced ? '/namespaces/{namespace}' : '';
  const collection = `${prefix}${nsPart}/${rt.resource}`;
  const item = `${collection}/{name}`;
  const nsParams = rt.namespaced ? [P.namespace] : [];
  const listModel = `${model}List`;
  const tags = [rt.group === '' ? `core_${rt.version}` : `${rt.group}_${rt.version}`];
  const op = (
    verb: string,
    action: string,
    params: unknown[],
    extra: Record<string, unknown> = {},
    suffix = '',
  ): Record<string, unknown> => ({
    tags,
    description: `${verb} ${rt.kind}`,
    operationId: opId(verb, rt, suffix),
    parameters: params,
    ...extra,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
  });
  const paths: Record<string, unknown> = {
    [collection]: {
      get: op(
        'list',
        'list',
        [
          P.allowWatchBookmarks,
          P.continue,
          P.fieldSelector,
          P.labelSelector,
          P.limit,
          P.resourceVersion,
          P.resourceVersionMatch,
          P.sendInitialEvents,
          P.timeoutSeconds,
          P.watch,
        ],
        { responses: ok(listModel) },
      ),
      post: op('create', 'post', [P.dryRun, P.fieldManager, P.fieldValidation], { requestBody: jsonBody(model), responses: ok(model) }),
      delete: op(
        'deletecollection',
        'deletecollection',
        [P.continue, P.dryRun, P.fieldSelector, P.gracePeriodSeconds, P.labelSelector, P.limit, P.propagationPolicy, P.resourceVersion],
        { responses: ok('io.k8s.apimachinery.pkg.apis.meta.v1.Status') },
        'Collection',
      ),
      parameters: [...nsParams, P.pretty],
    },
    [item]: {
      get: op('read', 'get', [], { responses: ok(model) }),
      put: op('replace', 'put', [P.dryRun, P.fieldManager, P.fieldValidation], { requestBody: jsonBody(model), responses: ok(model) }),
      patch: op('patch', 'patch', [P.dryRun, P.fieldManager, P.fieldValidation, P.force], {
        requestBody: PATCH_BODY_CR,
        responses: ok(model),
      }),
      delete: op('delete', 'delete', [P.dryRun, P.gracePeriodSeconds, P.propagationPolicy], {
        responses: ok('io.k8s.apimachinery.pkg.apis.meta.v1.Status'),
      }),
      parameters: [P.name, ...nsParams, P.pretty],
    },
  };
  for (const sub of rt.subresources) {
    if (sub === 'finalize') continue;
    const subModel = sub === 'scale' ? 'io.k8s.api.autoscaling.v1.Scale' : model;
    const suffix = sub === 'scale' ? 'Scale' : 'Status';
    paths[`${item}/${sub}`] = {
      get: op('read', 'get', [], { responses: ok(subModel) }, suffix),
      put: op(
        'replace',
        'put',
        [P.dryRun, P.fieldManager, P.fieldValidation],
        { requestBody: jsonBody(subModel), responses: ok(subModel) },
        suffix,
      ),
      patch: op(
        'patch',
        'patch',
        [P.dryRun, P.fieldManager, P.fieldValidation, P.force],
        { requestBody: PATCH_BODY_CR, responses: ok(subModel) },
        suffix,
      ),
      parameters: [P.name, ...nsParams, P.pretty],
    };
  }
  return paths;
}

/** BuildDocument returns the OpenAPI v3 document of one group-version. */
export function buildDocument(reg: Registry, group: string, version: string): Record<string, unknown> | undefined {
  const rts = reg.resources(group, version);
  if (rts.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, JSONSchemaProps> = { ...sharedSchemas };
  schemas['io.k8s.apimachinery.pkg.apis.meta.v1.Patch'] = {
    type: 'object',
    description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
  };
  schemas['io.k8s.apimachinery.pkg.apis.meta.v1.Status'] = {
    type: 'object',
    description: 'Status is a return value for calls that do not return other objects.',
    properties: {
      apiVersion: { type: 'string' },
      code: { type: 'integer', format: 'int32' },
      details: { type: 'object' },
      kind: { type: 'string' },
      message: { type: 'string' },
      metadata: { type: 'object' },
      reason: { type: 'string' },
      status: { type: 'string' },
    },
  };
  for (const rt of rts) {
    const model = modelName(rt);
    Object.assign(paths, resourcePaths(rt, model));
    schemas[model] = rt.openapiSchema;
    schemas[`${model}List`] = {
      type: 'object',
      description: `${rt.kind}List is a list of ${rt.kind}`,
      required: ['items'],
      properties: {
        apiVersion: { type: 'string' },
        items: { type: 'array', items: { $ref: `#/components/schemas/${model}` } },
        kind: { type: 'string' },
        metadata: { allOf: [{ $ref: `#/components/schemas/${LIST_META}` }] },
      },
      'x-kubernetes-group-version-kind': [{ group: rt.group, kind: rt.listKind, version: rt.version }],
    };
    if (rt.subresources.includes('scale'))
      schemas['io.k8s.api.autoscaling.v1.Scale'] = builtinSchemas['io.k8s.api.autoscaling.v1.Scale'] as JSONSchemaProps;
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.36.0' }, paths, components: { schemas } };
}

/** OpenApiCache builds documents lazily and caches them per registry generation. */
export class OpenApiCache {
  private generation = -1;
  private docs = new Map<string, OpenApiDoc>();
  private readonly reg: Registry;

  constructor(reg: Registry) {
    this.reg = reg;
  }

  private refresh(): void {
    if (this.generation === this.reg.generation) return;
    this.generation = this.reg.generation;
    this.docs.clear();
  }

  /** PathOf returns the document path (no leading slash) of a group-version. */
  static pathOf(group: string, version: string): string {
    return group === '' ? `api/${version}` : `apis/${group}/${version}`;
  }

  doc(path: string): OpenApiDoc | undefined {
    this.refresh();
    const hit = this.docs.get(path);
    if (hit !== undefined) return hit;
    const m = /^api\/([^/]+)$/.exec(path) ?? /^apis\/([^/]+)\/([^/]+)$/.exec(path);
    if (m === null) return undefined;
    const [group, version] = m.length === 2 ? ['', m[1] as string] : [m[1] as string, m[2] as string];
    const d = buildDocument(this.reg, group, version);
    if (d === undefined) return undefined;
    const json = JSON.stringify(d);
    const doc: OpenApiDoc = { path, json, hash: createHash('sha512').update(json).digest('hex').toUpperCase() };
    this.docs.set(path, doc);
    return doc;
  }

  index(): Record<string, unknown> {
    const paths: Record<string, unknown> = {};
    for (const g of this.reg.groups()) {
      for (const v of g.versions) {
        const p = OpenApiCache.pathOf(g.name, v);
        const d = this.doc(p);
        if (d !== undefined) paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${d.hash}` };
      }
    }
    return { paths };
  }
}
