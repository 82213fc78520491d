import { randomUUID } from 'node:crypto';
import type { KubeObject, Logger } from '@trellis/sdk';
import { hasCode, nopLogger } from '@trellis/sdk';
import { parse as parseYaml } from 'yaml';
import type { FieldCause, FieldScope, ManagedFieldsEntry } from '../contracts.ts';
import { findDuplicateKeys, hasDuplicateKeys } from '../http/negotiate.ts';
import { decodeProtobuf } from '../http/protobuf.ts';
import { applyLibrary } from '../libraries.ts';
import { coerceBuiltin, coerceObjectMeta } from '../registry/coerce.ts';
import { getPath, setPath } from '../registry/crd.ts';
import type { Registry } from '../registry/registry.ts';
import type { ResourceType } from '../registry/types.ts';
import type { StoredObject } from '../store/objects.ts';
import type { Store } from '../store/store.ts';
import {
  ApiError,
  alreadyExists,
  applyConflict,
  badRequest,
  conflict,
  expired,
  fe,
  forbidden,
  type GroupResource,
  generateNameConflict,
  internalError,
  invalid,
  methodNotSupported,
  notFound,
  tooLargeResourceVersion,
  unsupportedMediaType,
} from './errors.ts';
import { nameIsPathSegment, validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.ts';
import {
  createOptions,
  type DeleteOpts,
  deleteOptions,
  type ListOpts,
  parseResourceVersion,
  patchOptions,
  updateOptions,
  type WriteOptions,
} from './options.ts';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  builtinStrategyFor,
  deepEqual,
  PatchApplyError,
  parseJsonPatch,
  SmpError,
} from './patch.ts';
import {
  type FieldRequirement,
  type LabelSelector,
  matchFields,
  matchLabels,
  parseFieldSelector,
  parseLabelSelector,
} from './selectors.ts';
import { firstYamlDocument, leadingJsonNode, yamlReaderProblem } from './yamlbody.ts';

/** A decoded request body: the object and what strict decoding found. */
export interface DecodedBody {
  obj: KubeObject;
  /** Problems strict decoding found: duplicate fields (unknown fields are found later). */
  duplicates: string[];
}

/** Result of a verb: the HTTP code, the body, warnings, and the rv the client must not see before it is durable. */
export interface RestResult {
  code: number;
  body: unknown;
  warnings: string[];
  rv: number;
  /**
   * Stored is set when the body is this stored version as read from storage would serve it, so
   * the handler can send the stored JSON (servedJson) instead of serializing the body again.
   */
  stored?: StoredObject;
}

export interface WriteContext {
  /** Manager is the fieldManager, or the user agent's prefix when none was given. */
  manager: string;
  opts: WriteOptions;
  warnings: string[];
}

/** A Hook observes committed writes of a resource (the CRD controller registers one). */
export type AfterWriteHook = (rt: ResourceType, obj: KubeObject, old: KubeObject | undefined) => void;

export interface RestOptions {
  store: Store;
  registry: Registry;
  log?: Logger;
  now?: () => Date;
}

const SYSTEM_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

function rec(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function grOf(rt: ResourceType): GroupResource {
  return { group: rt.group, resource: rt.resource };
}

function apiVersionOf(rt: ResourceType): string {
  return rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
}

/** ManagerOrUserAgent is kube's default field manager: the user agent up to the first `/`. */
export function managerOrUserAgent(fieldManager: string, userAgent: string): string {
  if (fieldManager !== '') return fieldManager;
  const ua = userAgent.split('/')[0] ?? '';
  return [...ua]
    .filter((c) => !/\p{C}/u.test(c))
    .join('')
    .slice(0, 128);
}

const GEN_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function generateName(base: string): string {
  const prefix = base.length > 58 ? base.slice(0, 58) : base;
  let s = '';
  for (let i = 0; i < 5; i++) s += GEN_ALPHABET[Math.floor(Math.random() * GEN_ALPHABET.length)];
  return prefix + s;
}

/**
 * Rest implements the verbs on resources: the write pipeline (decode, strict field validation,
 * defaulting, strategy, validation, managedFields, optimistic concurrency, finalizers and
 * deletion) and reads (get, list with selectors, paging and resourceVersion semantics).
 * Every mutation runs synchronously against the store, so each is atomic.
 */
export class Rest {
  readonly store: Store;
  readonly registry: Registry;
  private readonly log: Logger;
  private readonly clock: () => Date;
  private readonly hooks: AfterWriteHook[] = [];

  constructor(opts: RestOptions) {
    this.store = opts.store;
    this.registry = opts.registry;
    this.log = opts.log ?? nopLogger;
    this.clock = opts.now ?? (() => new Date());
  }

  /** OnWrite registers a hook called after every committed create/update/delete (synchronously). */
  onWrite(h: AfterWriteHook): void {
    this.hooks.push(h);
  }

  private lastSecond = -1;
  private lastNow = '';

  /** Now is the current time in RFC 3339 with seconds precision, as kube stores timestamps. */
  now(): string {
    const ms = this.clock().getTime();
    const sec = Math.floor(ms / 1000);
    if (sec !== this.lastSecond) {
      this.lastSecond = sec;
      this.lastNow = `${new Date(sec * 1000).toISOString().slice(0, 19)}Z`;
    }
    return this.lastNow;
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  /** Read returns the stored object served at rt's version, or undefined. */
  read(rt: ResourceType, namespace: string, name: string): { obj: KubeObject; stored: StoredObject } | undefined {
    const stored = this.store.get(rt.bucket, rt.namespaced ? namespace : '', name);
    if (stored === undefined) return undefined;
    return { obj: rt.fromStorage(stored.object()), stored };
  }

  get(rt: ResourceType, namespace: string, name: string, subresource: string, q: URLSearchParams): RestResult {
    const rvParam = q.get('resourceVersion') ?? '';
    if (rvParam !== '' && rvParam !== '0') {
      const rv = parseResourceVersion(rvParam);
      if (rv > this.store.rv) throw tooLargeResourceVersion(rv, this.store.rv);
    }
    const r = this.read(rt, namespace, name);
    if (r === undefined) throw notFound(grOf(rt), name);
    if (subresource === 'scale') return { code: 200, body: this.toScale(rt, r.obj), warnings: [], rv: r.stored.rv };
    return { code: 200, body: r.obj, warnings: [], rv: r.stored.rv, stored: r.stored };
  }

  /** Selectors parses and checks the label and field selectors of a list or watch. */
  selectors(rt: ResourceType, opts: ListOpts): { labels: LabelSelector; fields: FieldRequirement[] } {
    const labels = parseLabelSelector(opts.labelSelector);
    const fields = parseFieldSelector(opts.fieldSelector);
    for (const f of fields) if (!rt.fieldLabels.names.includes(f.field)) throw badRequest(rt.fieldLabels.unsupported(f.field));
    return { labels, fields };
  }

  /** Matcher returns a predicate over stored objects for a list or watch. */
  matcher(rt: ResourceType, opts: ListOpts, namespace: string): (o: StoredObject) => boolean {
    const { labels, fields } = this.selectors(rt, opts);
    return (o) => {
      if (namespace !== '' && o.namespace !== namespace) return false;
      if (labels.requirements.length > 0 && !matchLabels(labels, o.meta.labels)) return false;
      if (fields.length === 0) return true;
      if (fields.every((f) => f.field === 'metadata.name' || f.field === 'metadata.namespace')) {
        return matchFields(fields, (f) => (f === 'metadata.name' ? o.name : o.namespace));
      }
      const vals = rt.fieldLabels.get(rt.fromStorage(o.object()));
      return matchFields(fields, (f) => vals[f] ?? '');
    };
  }

  /**
   * List returns the matching objects (paged by `limit`/`continue`) and the resourceVersion they
   * reflect, honouring resourceVersion / resourceVersionMatch as kube-apiserver does.
   */
  list(rt: ResourceType, namespace: string, opts: ListOpts): { items: StoredObject[]; rv: number; continue?: string; remaining?: number } {
    const ns = rt.namespaced ? namespace : '';
    const match = this.matcher(rt, opts, ns);
    let stateRv = this.store.rv;
    let start = '';
    let objects: StoredObject[] | undefined;
    if (opts.continueToken !== '') {
      if (opts.resourceVersion !== '' && opts.resourceVersion !== '0')
        throw badRequest('specifying resource version is not allowed when using continue');
      const tok = decodeContinue(opts.continueToken);
      start = tok.start;
      if (tok.rv > 0) {
        stateRv = tok.rv;
        objects = this.store.listAt(rt.bucket, ns === '' ? undefined : ns, tok.rv);
        if (objects === undefined) {
          const e = expired(
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
          );
          const next = encodeContinue(tok.start, -1);
          (e.status as unknown as Record<string, unknown>).metadata = { continue: next };
          throw e;
        }
      }
    } else if (opts.resourceVersion !== '' && opts.resourceVersion !== '0') {
      const rv = parseResourceVersion(opts.resourceVersion);
      if (rv > this.store.rv) throw tooLargeResourceVersion(rv, this.store.rv);
      const exact = opts.resourceVersionMatch === 'Exact' || (opts.resourceVersionMatch === '' && opts.limit > 0);
      if (exact) {
        objects = this.store.listAt(rt.bucket, ns === '' ? undefined : ns, rv);
        if (objects === undefined) throw expired('The resourceVersion for the provided list is too old.');
        stateRv = rv;
      }
    }
    objects ??= this.store.list(rt.bucket, ns === '' ? undefined : ns);
    const keyOf = (o: StoredObject): string => (ns === '' && rt.namespaced ? `${o.namespace}/${o.name}` : o.name);
    let filtered = objects.filter(match);
    if (start !== '') filtered = filtered.filter((o) => keyOf(o) >= start);
    if (opts.limit > 0 && filtered.length > opts.limit) {
      const page = filtered.slice(0, opts.limit);
      const last = page[page.length - 1] as StoredObject;
      const out: { items: StoredObject[]; rv: number; continue?: string; remaining?: number } = {
        items: page,
        rv: stateRv,
        continue: encodeContinue(`${keyOf(last)}\u0000`, stateRv),
      };
      if (opts.labelSelector === '' && opts.fieldSelector === '') out.remaining = filtered.length - page.length;
      return out;
    }
    return { items: filtered, rv: stateRv };
  }

  // ---------------------------------------------------------------------------------------------
  // Decoding

  /** Decode turns a request body into an object (JSON, YAML or protobuf) or answers 400/415. */
  decode(body: Buffer, contentType: string, rt: ResourceType): DecodedBody {
    const ct = contentType === '' ? 'application/json' : contentType;
    if (ct === 'application/vnd.kubernetes.protobuf') {
      // Imported lazily to keep the JSON path free of the decoder.
      return { obj: decodeProtobufBody(body), duplicates: [] };
    }
    if (ct !== 'application/json' && ct !== 'application/yaml' && ct !== 'application/apply-patch+yaml' && ct !== '*/*') {
      throw unsupportedMediaType(
        `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`,
      );
    }
    const text = body.toString('utf8');
    if (ct === 'application/yaml' || ct === 'application/apply-patch+yaml') {
      const problem = yamlReaderProblem(body);
      if (problem !== undefined) throw this.decodeError(rt, `yaml: ${problem}`, text, true);
    }
    let v: unknown;
    let duplicates: string[] = [];
    if (ct === 'application/json' || ct === '*/*' || /^\s*[{[]/.test(text)) {
      let json = text;
      try {
        v = JSON.parse(text);
      } catch (err) {
        if (ct === 'application/json') throw this.decodeError(rt, `json: ${syntaxMessage(err)}`, text);
        // A JSON value with more after it: kube reads the first YAML node (see yamlbody.ts).
        const lead = leadingJsonNode(text);
        if (lead !== undefined && !lead.ok) throw this.decodeError(rt, `yaml: ${lead.message}`, text, true);
        if (lead?.ok === true) {
          v = lead.value;
          json = lead.json;
        } else v = this.yaml(text, rt);
      }
      if (v !== undefined && typeof v === 'object') duplicates = findDuplicates(json, v);
    } else v = this.yaml(text, rt);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw this.decodeError(
        rt,
        `json: cannot unmarshal ${Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v} into Go value of type struct`,
        text,
      );
    }
    const obj = v as KubeObject;
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) {
      throw this.decodeError(
        rt,
        `json: cannot unmarshal ${Array.isArray(obj.metadata) ? 'array' : typeof obj.metadata} into Go struct field ${rt.kind}.metadata of type v1.ObjectMeta`,
        text,
      );
    }
    return { obj, duplicates };
  }

  private yaml(text: string, rt: ResourceType): unknown {
    try {
      return firstYamlDocument(text);
    } catch (err) {
      throw this.decodeError(rt, `yaml: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, text);
    }
  }

  private decodeError(rt: ResourceType, msg: string, text: string, beforeKind = false): ApiError {
    const summary = text.length > 30 ? `${text.slice(0, 30)}...` : text;
    if (!beforeKind && /"kind"\s*:/.test(text))
      return badRequest(`${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: ${msg}`);
    return badRequest(
      `the object provided is unrecognized (must be of type ${rt.kind}): ${msg} (${Buffer.from(summary).toString('hex').slice(0, 60)})`,
    );
  }

  /**
   * Normalize checks apiVersion/kind against the URL, prunes unknown fields and applies
   * fieldValidation (Strict → 400; Warn → warnings), then defaults. `what` names the strict error.
   */
  normalize(rt: ResourceType, d: DecodedBody, opts: WriteOptions, warnings: string[], mode: 'body' | 'patch'): KubeObject {
    const obj = d.obj;
    const apiVersion = apiVersionOf(rt);
    if (mode === 'body') {
      if (typeof obj.apiVersion === 'string' && obj.apiVersion !== '' && obj.apiVersion !== apiVersion) {
        throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersion})`);
      }
      if (rt.builtin && typeof obj.kind === 'string' && obj.kind !== '' && obj.kind !== rt.kind) {
        throw badRequest(
          `${obj.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: converting (${obj.kind}) to (${rt.kind}): unknown conversion`,
        );
      }
      if (rt.builtin || obj.apiVersion === undefined || obj.apiVersion === '') obj.apiVersion = apiVersion;
      if (rt.builtin || obj.kind === undefined || obj.kind === '') obj.kind = rt.kind;
    }
    const unknown = rt.builtin
      ? coerceBuiltin(obj, rt.openapiSchema, rt.kind, rt.version)
      : [...coerceObjectMeta(obj, rt.kind, rt.version), ...(rt.compiled?.prune(obj).pruned ?? [])];
    const problems = [...d.duplicates.map((p) => `duplicate field "${p}"`), ...unknown.map((p) => `unknown field "${p}"`)];
    if (problems.length > 0) {
      if (opts.fieldValidation === 'Strict') {
        const msg = `strict decoding error: ${problems.join(', ')}`;
        if (mode === 'patch') throw invalidPatch(msg);
        throw badRequest(`${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: ${msg}`);
      }
      if (opts.fieldValidation === 'Warn') warnings.push(...problems);
    }
    if (!rt.builtin) rt.compiled?.applyDefaults(obj);
    return obj;
  }

  // ---------------------------------------------------------------------------------------------
  // Create

  createFromRequest(
    rt: ResourceType,
    namespace: string,
    body: Buffer,
    contentType: string,
    q: URLSearchParams,
    userAgent: string,
  ): RestResult {
    const opts = createOptions(q);
    const warnings: string[] = [];
    const decoded = this.decode(body, contentType, rt);
    const obj = this.normalize(rt, decoded, opts, warnings, 'body');
    return this.create(rt, namespace, obj, { opts, manager: managerOrUserAgent(opts.fieldManager, userAgent), warnings });
  }

  /** Create stores a new object (obj is already decoded and normalized). */
  create(rt: ResourceType, namespace: string, obj: KubeObject, w: WriteContext): RestResult {
    if (rt.crd?.terminating === true) throw methodNotSupported(grOf(rt), 'create');
    const meta = obj.metadata;
    for (const k of ['creationTimestamp', 'uid', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink']) delete meta[k];
    ensureNamespace(rt, namespace, meta);
    if (typeof meta.resourceVersion === 'string' && meta.resourceVersion !== '') {
      throw new ApiError(500, '', 'resourceVersion should not be set on objects to be created');
    }
    delete meta.resourceVersion;
    const generated = (meta.name === undefined || meta.name === '') && typeof meta.generateName === 'string' && meta.generateName !== '';
    for (let attempt = 0; ; attempt++) {
      const candidate = attempt === 0 ? obj : (structuredClone(obj) as KubeObject);
      if (generated) candidate.metadata.name = generateName(candidate.metadata.generateName as string);
      try {
        return this.createOnce(rt, candidate, w);
      } catch (err) {
        if (generated && err instanceof ApiError && err.status.reason === 'AlreadyExists' && attempt < 7) continue;
        if (generated && err instanceof ApiError && err.status.reason === 'AlreadyExists')
          throw generateNameConflict(grOf(rt), candidate.metadata.name ?? '');
        throw err;
      }
    }
  }

  private createOnce(rt: ResourceType, obj: KubeObject, w: WriteContext): RestResult {
    const meta = obj.metadata;
    const name = meta.name ?? '';
    const ns = meta.namespace ?? '';
    this.admitNamespace(rt, ns, name);
    meta.creationTimestamp = this.now();
    meta.uid = randomUUID();
    rt.strategy.prepareForCreate?.(obj);
    if (rt.strategy.generation) meta.generation = 1;
    else delete meta.generation;
    const causes = this.validateCreate(rt, obj);
    if (causes.length > 0) throw this.invalidObject(rt, obj, name, causes);
    w.warnings.push(...(rt.strategy.warnings?.(obj, undefined) ?? []));
    dedupOwnerReferences(obj, w.warnings);
    obj.metadata.managedFields = applyLibrary.trackUpdate({
      old: undefined,
      new: obj,
      manager: w.manager,
      subresource: '',
      scope: this.scopeOf(rt, ''),
      apiVersion: apiVersionOf(rt),
      typeInfo: rt.typeInfo,
      now: this.now(),
    });
    if ((obj.metadata.managedFields as unknown[]).length === 0) delete obj.metadata.managedFields;
    const existing = this.store.get(rt.bucket, rt.namespaced ? ns : '', name);
    if (existing !== undefined) {
      const e = alreadyExists(grOf(rt), name);
      if (existing.meta.deletionTimestamp !== undefined) e.status.message = `object is being deleted: ${e.status.message}`;
      throw e;
    }
    if (w.opts.dryRun) return { code: 201, body: obj, warnings: w.warnings, rv: this.store.rv };
    const stored = this.store.put(rt.bucket, rt.namespaced ? ns : '', name, rt.toStorage({ ...obj }));
    obj.metadata.resourceVersion = String(stored.rv);
    this.afterWrite(rt, obj, undefined);
    return { code: 201, body: obj, warnings: w.warnings, rv: stored.rv, stored };
  }

  private admitNamespace(rt: ResourceType, ns: string, name: string): void {
    if (!rt.namespaced) return;
    const nsObj = this.store.get('/namespaces', '', ns);
    if (nsObj === undefined) throw notFound({ group: '', resource: 'namespaces' }, ns);
    if (nsObj.meta.deletionTimestamp !== undefined) {
      throw forbidden(grOf(rt), name, `unable to create new content in namespace ${ns} because it is being terminated`, [
        { reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' },
      ]);
    }
  }

  /**
   * ValidateCreate mirrors rest.BeforeCreate: the kind's own validation (for custom resources the
   * type meta first, then ObjectMeta, schema and CEL); only when that passes, the generic ObjectMeta
   * check every kind gets.
   */
  private validateCreate(rt: ResourceType, obj: KubeObject): FieldCause[] {
    const fullMeta = (): FieldCause[] =>
      validateObjectMeta(obj.metadata, {
        namespaced: rt.namespaced,
        nameValidation: rt.strategy.nameValidationFor?.(obj) ?? rt.strategy.nameValidation,
      });
    let causes: FieldCause[];
    if (!rt.builtin) {
      const tm = typeMetaCauses(rt, obj);
      if (tm.length > 0) return tm;
      causes = [...fullMeta(), ...(rt.compiled?.validate(obj) ?? []), ...(rt.strategy.validate?.(obj) ?? [])];
    } else causes = [...fullMeta(), ...(rt.strategy.validate?.(obj) ?? [])];
    if (causes.length > 0) return causes;
    return validateObjectMeta(obj.metadata, { namespaced: rt.namespaced, nameValidation: nameIsPathSegment });
  }

  /**
   * ValidateUpdate mirrors rest.BeforeUpdate: the common fields (generic ObjectMeta and its update
   * rules) then the kind's update validation, which for many kinds repeats some of them — kube
   * reports those causes twice, and so do we.
   */
  private validateUpdate(rt: ResourceType, obj: KubeObject, old: KubeObject, subresource: string): FieldCause[] {
    const out = [
      ...validateObjectMeta(obj.metadata, { namespaced: rt.namespaced, nameValidation: nameIsPathSegment }),
      ...validateObjectMetaUpdate(obj.metadata, old.metadata),
    ];
    if (!rt.builtin) {
      const tm = typeMetaCauses(rt, obj);
      if (tm.length > 0) return [...out, ...tm];
      out.push(...validateObjectMetaUpdate(obj.metadata, old.metadata));
      out.push(...(rt.compiled?.validate(obj, subresource === 'status' ? { old, subresource } : { old }) ?? []));
      return out;
    }
    out.push(...validateObjectMetaUpdate(obj.metadata, old.metadata));
    if (subresource !== '') return out;
    if (rt.strategy.updateValidatesMeta === true) {
      out.push(
        ...validateObjectMeta(obj.metadata, {
          namespaced: rt.namespaced,
          nameValidation: rt.strategy.nameValidationFor?.(obj) ?? rt.strategy.nameValidation,
        }),
      );
    }
    out.push(...(rt.strategy.validateUpdate?.(obj, old) ?? []));
    return out;
  }

  /** Invalid is the 422 for an object: kube names the kind the body declares (a wrong kind included). */
  private invalidObject(rt: ResourceType, obj: KubeObject, name: string, causes: FieldCause[]): ApiError {
    if (rt.builtin || typeof obj.kind !== 'string' || obj.kind === '') return invalid(rt.group, rt.kind, name, causes);
    const av = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
    return invalid(av.includes('/') ? av.slice(0, av.indexOf('/')) : rt.group, obj.kind, name, causes);
  }

  scopeOf(rt: ResourceType, subresource: string): FieldScope {
    if (subresource === 'status') return 'status-only';
    return rt.strategy.statusSubresource ? 'no-status' : 'all';
  }

  // ---------------------------------------------------------------------------------------------
  // Update

  updateFromRequest(
    rt: ResourceType,
    namespace: string,
    name: string,
    subresource: string,
    body: Buffer,
    contentType: string,
    q: URLSearchParams,
    userAgent: string,
  ): RestResult {
    const opts = updateOptions(q);
    const warnings: string[] = [];
    const w: WriteContext = { opts, manager: managerOrUserAgent(opts.fieldManager, userAgent), warnings };
    const decoded = this.decode(body, contentType, rt);
    if (subresource === 'scale') {
      checkUpdateName(decoded.obj, name);
      return this.updateScale(rt, namespace, name, decoded.obj, w);
    }
    const obj = this.normalize(rt, decoded, opts, warnings, 'body');
    checkUpdateName(obj, name);
    obj.metadata.name = name;
    ensureNamespace(rt, namespace, obj.metadata);
    return this.update(rt, namespace, name, subresource, obj, w);
  }

  /**
   * Update replaces an object (PUT semantics): optimistic concurrency, create-on-update where the
   * kind allows it, the strategy, validation, managedFields, delete-when-finalizers-emptied.
   */
  update(
    rt: ResourceType,
    namespace: string,
    name: string,
    subresource: string,
    obj: KubeObject,
    w: WriteContext,
    precondition?: string,
  ): RestResult {
    const ns = rt.namespaced ? namespace : '';
    const current = this.read(rt, ns, name);
    if (current === undefined) {
      if (rt.strategy.allowCreateOnUpdate && subresource === '') {
        delete obj.metadata.resourceVersion;
        return this.create(rt, namespace, obj, w);
      }
      throw notFound(grOf(rt), name);
    }
    const old = current.obj;
    const newRv = typeof obj.metadata.resourceVersion === 'string' ? obj.metadata.resourceVersion : '';
    if (precondition !== undefined && precondition !== old.metadata.resourceVersion) throw conflict(grOf(rt), name);
    if (newRv === '') {
      if (!rt.strategy.allowUnconditionalUpdate) {
        throw invalid(rt.group, rt.resource, name, [fe.invalid('metadata.resourceVersion', 0, 'must be specified for an update')]);
      }
      obj.metadata.resourceVersion = old.metadata.resourceVersion as string;
    } else if (newRv !== old.metadata.resourceVersion) {
      throw conflict(grOf(rt), name);
    }
    const next = this.applySubresourceStrategy(rt, subresource, obj, old);
    return this.commitUpdate(rt, ns, name, subresource, next, old, w);
  }

  private applySubresourceStrategy(rt: ResourceType, subresource: string, obj: KubeObject, old: KubeObject): KubeObject {
    if (subresource === 'status') {
      if (rt.kind === 'Namespace' && rt.builtin) {
        obj.spec = old.spec;
        return obj;
      }
      const next = structuredClone(old);
      if (obj.status !== undefined) next.status = obj.status;
      else delete next.status;
      if (obj.metadata.managedFields !== undefined) next.metadata.managedFields = obj.metadata.managedFields;
      else delete next.metadata.managedFields;
      return next;
    }
    if (subresource === 'finalize') {
      obj.status = old.status;
      return obj;
    }
    rt.strategy.prepareForUpdate?.(obj, old);
    return obj;
  }

  /** CommitUpdate runs BeforeUpdate, managedFields tracking, validation and storage for a prepared new object. */
  commitUpdate(
    rt: ResourceType,
    ns: string,
    name: string,
    subresource: string,
    obj: KubeObject,
    old: KubeObject,
    w: WriteContext,
  ): RestResult {
    return this.commitUpdateWith(rt, ns, name, subresource, obj, old, w, (o) =>
      applyLibrary.trackUpdate({
        old,
        new: o,
        manager: w.manager,
        subresource,
        scope: this.scopeOf(rt, subresource),
        apiVersion: apiVersionOf(rt),
        typeInfo: rt.typeInfo,
        now: this.now(),
      }),
    );
  }

  private commitUpdateWith(
    rt: ResourceType,
    ns: string,
    name: string,
    subresource: string,
    obj: KubeObject,
    old: KubeObject,
    w: WriteContext,
    managed: (obj: KubeObject) => ManagedFieldsEntry[] | undefined,
  ): RestResult {
    const meta = obj.metadata;
    const om = old.metadata;
    // rest.BeforeUpdate: system fields are kept from the old object.
    if (rt.strategy.generation && om.generation !== undefined) meta.generation = om.generation;
    else delete meta.generation;
    if ((meta.uid === undefined || meta.uid === '') && om.uid !== undefined) meta.uid = om.uid;
    if (om.creationTimestamp !== undefined) meta.creationTimestamp = om.creationTimestamp;
    if (om.deletionTimestamp !== undefined) meta.deletionTimestamp = om.deletionTimestamp;
    else if (meta.deletionTimestamp === null) delete meta.deletionTimestamp;
    if (om.deletionGracePeriodSeconds !== undefined && meta.deletionGracePeriodSeconds === undefined)
      meta.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds;
    if (rt.strategy.generation && subresource === '' && !sameNonMetadata(obj, old))
      meta.generation = (typeof om.generation === 'number' ? om.generation : 0) + 1;
    const isNamespace = rt.kind === 'Namespace' && rt.builtin;
    if (isNamespace) meta.labels = { ...(meta.labels ?? {}), 'kubernetes.io/metadata.name': name };
    dedupOwnerReferences(obj, w.warnings);
    const mf = managed(obj);
    if (mf === undefined || mf.length === 0) delete meta.managedFields;
    else meta.managedFields = mf;
    keepManagedFieldTimes(obj, old);
    const causes = this.validateUpdate(rt, obj, old, subresource);
    if (causes.length > 0) throw this.invalidObject(rt, obj, name, causes);
    w.warnings.push(...(rt.strategy.warnings?.(obj, old) ?? []));
    // Deleting during update: the last finalizer is gone from an object being deleted.
    const finalizers = Array.isArray(meta.finalizers) ? meta.finalizers : [];
    const specFinalizers = rec(obj.spec).finalizers;
    const nsFinalizersEmpty = !isNamespace || !Array.isArray(specFinalizers) || specFinalizers.length === 0;
    if (
      finalizers.length === 0 &&
      om.deletionTimestamp !== undefined &&
      (om.deletionGracePeriodSeconds === undefined || om.deletionGracePeriodSeconds === 0) &&
      nsFinalizersEmpty
    ) {
      if (w.opts.dryRun) return { code: 200, body: obj, warnings: w.warnings, rv: this.store.rv };
      const removed = this.store.remove(rt.bucket, ns, name);
      this.afterWrite(rt, undefined, old);
      return { code: 200, body: obj, warnings: w.warnings, rv: removed?.rv ?? this.store.rv };
    }
    if (deepEqual(obj, old)) return { code: 200, body: old, warnings: w.warnings, rv: Number(old.metadata.resourceVersion) };
    if (w.opts.dryRun) return { code: 200, body: obj, warnings: w.warnings, rv: this.store.rv };
    const stored = this.store.put(rt.bucket, ns, name, rt.toStorage({ ...obj }));
    obj.metadata.resourceVersion = String(stored.rv);
    this.afterWrite(rt, obj, old);
    return { code: 200, body: obj, warnings: w.warnings, rv: stored.rv, stored };
  }

  // ---------------------------------------------------------------------------------------------
  // Patch

  patchFromRequest(
    rt: ResourceType,
    namespace: string,
    name: string,
    subresource: string,
    body: Buffer,
    contentType: string,
    q: URLSearchParams,
    userAgent: string,
  ): RestResult {
    const ct = contentType;
    const isApply = ct === 'application/apply-patch+yaml';
    const known = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
    const smpAllowed = rt.builtin && subresource !== 'scale';
    if (!known.includes(ct) && !(smpAllowed && ct === 'application/strategic-merge-patch+json')) {
      const accepted = smpAllowed
        ? 'application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml'
        : 'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml';
      throw unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: ${accepted}`);
    }
    const opts = patchOptions(q, isApply);
    const warnings: string[] = [];
    const w: WriteContext = { opts, manager: managerOrUserAgent(opts.fieldManager, userAgent), warnings };
    if (isApply) return this.apply(rt, namespace, name, subresource, body, opts.force === true, w);
    const ns = rt.namespaced ? namespace : '';
    const current = this.read(rt, ns, name);
    if (current === undefined) throw notFound(grOf(rt), name);
    const text = body.toString('utf8');
    const base = subresource === 'scale' ? this.toScale(rt, current.obj) : current.obj;
    let patched: unknown;
    if (ct === 'application/json-patch+json') {
      const ops = parseJsonPatch(text);
      try {
        patched = applyJsonPatch(base, ops);
      } catch (err) {
        if (err instanceof PatchApplyError)
          throw new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
        throw err;
      }
    } else {
      let patch: unknown;
      try {
        patch = JSON.parse(text);
      } catch (err) {
        throw badRequest(ct === 'application/merge-patch+json' ? 'Invalid JSON Patch' : `error decoding patch: ${syntaxMessage(err)}`);
      }
      if (ct === 'application/merge-patch+json') patched = applyMergePatch(base, patch);
      else {
        try {
          // A `null` patch decodes to an empty map in kube (Go's json.Unmarshal of null): a no-op.
          patched = applyStrategicMergePatch(base, patch === null ? {} : patch, builtinStrategyFor(rt.kind));
        } catch (err) {
          if (err instanceof SmpError)
            throw err.badRequest
              ? badRequest(err.message)
              : new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
          throw err;
        }
      }
      if (opts.fieldValidation !== 'Ignore') {
        const dups = findDuplicateKeys(text);
        if (dups.length > 0) {
          if (opts.fieldValidation === 'Strict')
            throw invalidPatch(`strict decoding error: ${dups.map((d) => `duplicate field "${d}"`).join(', ')}`);
          warnings.push(...dups.map((d) => `duplicate field "${d}"`));
        }
      }
    }
    if (typeof patched !== 'object' || patched === null || Array.isArray(patched)) {
      throw invalidPatch(`json: cannot unmarshal ${Array.isArray(patched) ? 'array' : typeof patched} into Go value of type struct`);
    }
    if (subresource === 'scale') return this.updateScale(rt, namespace, name, patched as KubeObject, w);
    const obj = patched as KubeObject;
    if (typeof obj.metadata !== 'object' || obj.metadata === null) obj.metadata = {};
    // A patch may not change identity.
    if (obj.apiVersion !== current.obj.apiVersion || obj.kind !== current.obj.kind) {
      throw invalidPatch(`the API version or kind in the patch does not match the object (${String(obj.apiVersion)}, ${String(obj.kind)})`);
    }
    const normalized = this.normalize(rt, { obj, duplicates: [] }, opts, warnings, 'patch');
    if (normalized.metadata.name !== undefined && normalized.metadata.name !== name) {
      throw badRequest(`the name of the object (${String(normalized.metadata.name)}) does not match the name on the URL (${name})`);
    }
    normalized.metadata.name = name;
    ensureNamespace(rt, namespace, normalized.metadata);
    const precondition = typeof normalized.metadata.resourceVersion === 'string' ? normalized.metadata.resourceVersion : '';
    if (precondition !== '' && precondition !== current.obj.metadata.resourceVersion) throw conflict(grOf(rt), name);
    normalized.metadata.resourceVersion = current.obj.metadata.resourceVersion as string;
    const next = this.applySubresourceStrategy(rt, subresource, normalized, current.obj);
    return this.commitUpdate(rt, ns, name, subresource, next, current.obj, w);
  }

  /** Apply is server-side apply: create-on-apply, merge through the apply library, conflicts as 409. */
  apply(rt: ResourceType, namespace: string, name: string, subresource: string, body: Buffer, force: boolean, w: WriteContext): RestResult {
    const text = body.toString('utf8');
    const problem = yamlReaderProblem(body);
    if (problem !== undefined) throw badRequest(`error decoding YAML: error converting YAML to JSON: yaml: ${problem}`);
    let applied: unknown;
    let jsonText = text;
    try {
      if (/^\s*[{[]/.test(text)) {
        const parsed = jsonOrLeadingNode(text);
        applied = parsed.value;
        jsonText = parsed.json;
      } else applied = parseYaml(text, { uniqueKeys: true });
    } catch (err) {
      throw badRequest(`error decoding YAML: ${err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)}`);
    }
    if (typeof applied !== 'object' || applied === null || Array.isArray(applied))
      throw badRequest('error decoding YAML: the applied object is not a map');
    const a = applied as KubeObject;
    const apiVersion = apiVersionOf(rt);
    if (a.apiVersion !== apiVersion && subresource !== 'scale') {
      if (!rt.builtin) throw badRequest(`invalid object type: ${String(a.apiVersion ?? '')}, Kind=${String(a.kind ?? '')}`);
      throw badRequest(
        `Incorrect version specified in apply patch. Specified patch version: ${String(a.apiVersion ?? '')}, expected: ${apiVersion}`,
      );
    }
    if ((typeof a.kind !== 'string' || a.kind === '') && subresource !== 'scale') {
      // kube's type converter finds no type for an empty kind (a YAML `kind:` is null): 400.
      const av = String(a.apiVersion ?? '');
      throw badRequest(`invalid object type: ${av.includes('/') ? av : `/${av}`}, Kind=`);
    }
    if (typeof a.metadata !== 'object' || a.metadata === null) a.metadata = {};
    if (a.metadata.managedFields !== undefined && a.metadata.managedFields !== null) throw badRequest('metadata.managedFields must be nil');
    if (w.opts.fieldValidation !== 'Ignore') {
      const dups = /^\s*[{[]/.test(text) ? findDuplicateKeys(jsonText) : [];
      const pruneCopy = structuredClone(a);
      const unknown = rt.builtin
        ? coerceBuiltin(pruneCopy, rt.openapiSchema, rt.kind, rt.version)
        : [...coerceObjectMeta(pruneCopy, rt.kind, rt.version), ...(rt.compiled?.prune(pruneCopy).pruned ?? [])];
      const problems = [...dups.map((p) => `duplicate field "${p}"`), ...unknown.map((p) => `unknown field "${p}"`)];
      if (problems.length > 0) {
        if (w.opts.fieldValidation === 'Strict') throw badRequest(`error strict decoding YAML: ${problems.join(', ')}`);
        w.warnings.push(...problems);
      }
    }
    const ns = rt.namespaced ? namespace : '';
    const bodyName = a.metadata.name;
    if (typeof bodyName === 'string' && bodyName !== '' && bodyName !== name) {
      throw badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${name})`);
    }
    const current = this.read(rt, ns, name);
    if (current === undefined && subresource !== '') throw notFound(grOf(rt), name);
    const precondition = typeof a.metadata.resourceVersion === 'string' ? a.metadata.resourceVersion : '';
    if (current !== undefined && precondition !== '' && precondition !== current.obj.metadata.resourceVersion)
      throw conflict(grOf(rt), name);
    if (
      current !== undefined &&
      typeof a.metadata.uid === 'string' &&
      a.metadata.uid !== '' &&
      a.metadata.uid !== current.obj.metadata.uid
    ) {
      throw conflict(
        grOf(rt),
        name,
        `uid mismatch: the provided object specified uid ${a.metadata.uid}, and the existing object has uid ${String(current.obj.metadata.uid)}`,
      );
    }
    let merged: KubeObject;
    try {
      merged = applyLibrary.serverSideApply({
        live: current?.obj,
        applied: a,
        manager: w.manager,
        force,
        subresource,
        scope: this.scopeOf(rt, subresource),
        apiVersion,
        typeInfo: rt.typeInfo,
        now: this.now(),
      }).object;
    } catch (err) {
      if (hasCode(err, 'APISERVER_APPLY_CONFLICT')) {
        const e = err as { message: string; details?: Record<string, unknown> };
        const message = typeof e.details?.statusMessage === 'string' ? e.details.statusMessage : e.message;
        throw applyConflict(message, (e.details?.causes as FieldCause[] | undefined) ?? []);
      }
      if (hasCode(err, 'APISERVER_APPLY_FAILED')) throw new ApiError(500, 'InternalError', (err as Error).message);
      if (hasCode(err, 'APISERVER_APPLY_INVALID')) {
        const e = err as { details?: Record<string, unknown> };
        throw invalid(rt.group, rt.kind, name, (e.details?.causes as FieldCause[] | undefined) ?? []);
      }
      if (hasCode(err, 'APISERVER_APPLY_BAD_REQUEST')) throw badRequest((err as Error).message);
      throw err;
    }
    merged.metadata.name = name;
    ensureNamespace(rt, namespace, merged.metadata);
    if (rt.builtin) coerceBuiltin(merged, rt.openapiSchema, rt.kind, rt.version);
    else {
      coerceObjectMeta(merged, rt.kind, rt.version);
      rt.compiled?.prune(merged);
      rt.compiled?.applyDefaults(merged);
    }
    const pruned = merged;
    if (current === undefined) {
      if (rt.crd?.terminating === true) throw methodNotSupported(grOf(rt), 'create');
      const managed = pruned.metadata.managedFields;
      delete pruned.metadata.resourceVersion;
      for (const k of ['creationTimestamp', 'uid', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink'])
        delete pruned.metadata[k];
      const ns2 = pruned.metadata.namespace ?? '';
      this.admitNamespace(rt, ns2, name);
      pruned.metadata.creationTimestamp = this.now();
      pruned.metadata.uid = randomUUID();
      rt.strategy.prepareForCreate?.(pruned);
      if (rt.strategy.generation) pruned.metadata.generation = 1;
      const causes = this.validateCreate(rt, pruned);
      if (causes.length > 0) throw this.invalidObject(rt, pruned, name, causes);
      w.warnings.push(...(rt.strategy.warnings?.(pruned, undefined) ?? []));
      if (managed !== undefined) pruned.metadata.managedFields = managed;
      if (w.opts.dryRun) return { code: 201, body: pruned, warnings: w.warnings, rv: this.store.rv };
      const stored = this.store.put(rt.bucket, ns, name, rt.toStorage({ ...pruned }));
      pruned.metadata.resourceVersion = String(stored.rv);
      this.afterWrite(rt, pruned, undefined);
      return { code: 201, body: pruned, warnings: w.warnings, rv: stored.rv };
    }
    pruned.metadata.resourceVersion = current.obj.metadata.resourceVersion as string;
    const managed = pruned.metadata.managedFields as ManagedFieldsEntry[] | undefined;
    const next = this.applySubresourceStrategy(rt, subresource, pruned, current.obj);
    // The apply library already recorded ownership: keep its managedFields.
    return this.commitUpdateWith(rt, ns, name, subresource, next, current.obj, w, () => managed);
  }

  /**
   * Mutate updates an object in place on behalf of a built-in controller: it reads the current
   * version, applies `fn` to a copy, and commits it through the normal update path (validation,
   * managedFields under `manager`, delete-when-finalizers-emptied). Returns undefined when the
   * object is gone or `fn` returns false.
   */
  mutate(
    rt: ResourceType,
    namespace: string,
    name: string,
    subresource: string,
    manager: string,
    fn: (obj: KubeObject) => boolean | undefined,
  ): RestResult | undefined {
    const ns = rt.namespaced ? namespace : '';
    const current = this.read(rt, ns, name);
    if (current === undefined) return undefined;
    const next = structuredClone(current.obj);
    if (fn(next) === false) return undefined;
    const w: WriteContext = { manager, opts: { dryRun: false, fieldManager: manager, fieldValidation: 'Ignore' }, warnings: [] };
    const prepared = subresource === '' ? next : this.applySubresourceStrategy(rt, subresource, next, current.obj);
    return this.commitUpdate(rt, ns, name, subresource, prepared, current.obj, w);
  }

  // ---------------------------------------------------------------------------------------------
  // Scale

  toScale(rt: ResourceType, obj: KubeObject): KubeObject {
    const sc = rt.scale;
    if (sc === undefined) throw notFound(grOf(rt), obj.metadata.name ?? '');
    const spec = getPath(obj, sc.specReplicasPath);
    const status = getPath(obj, sc.statusReplicasPath);
    const scale: KubeObject = {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: JSON.parse(
        JSON.stringify({
          name: obj.metadata.name,
          namespace: obj.metadata.namespace,
          uid: obj.metadata.uid,
          resourceVersion: obj.metadata.resourceVersion,
          creationTimestamp: obj.metadata.creationTimestamp,
        }),
      ) as KubeObject['metadata'],
      spec: typeof spec === 'number' ? { replicas: spec } : {},
      status: { replicas: typeof status === 'number' ? status : 0 },
    };
    if (sc.labelSelectorPath !== undefined) {
      const sel = getPath(obj, sc.labelSelectorPath);
      if (typeof sel === 'string') (scale.status as Record<string, unknown>).selector = sel;
    }
    if (!rt.namespaced) delete scale.metadata.namespace;
    return scale;
  }

  private updateScale(rt: ResourceType, namespace: string, name: string, scale: KubeObject, w: WriteContext): RestResult {
    const sc = rt.scale;
    if (sc === undefined) throw notFound(grOf(rt), name);
    const ns = rt.namespaced ? namespace : '';
    const current = this.read(rt, ns, name);
    if (current === undefined) throw notFound(grOf(rt), name);
    const rv = rec(scale.metadata).resourceVersion;
    if (typeof rv === 'string' && rv !== '' && rv !== current.obj.metadata.resourceVersion) throw conflict(grOf(rt), name);
    const replicas = rec(scale.spec).replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid('autoscaling', 'Scale', name, [fe.invalid('spec.replicas', replicas ?? 0, 'must be greater than or equal to 0')]);
    }
    const next = structuredClone(current.obj);
    setPath(next, sc.specReplicasPath, replicas);
    const { stored: _object, ...r } = this.commitUpdate(rt, ns, name, 'scale', next, current.obj, w);
    return { ...r, body: this.toScale(rt, r.body as KubeObject) };
  }

  // ---------------------------------------------------------------------------------------------
  // Delete

  deleteFromRequest(
    rt: ResourceType,
    namespace: string,
    name: string,
    body: Buffer | undefined,
    contentType: string,
    q: URLSearchParams,
  ): RestResult {
    let b: Record<string, unknown> | undefined;
    if (body !== undefined && body.length > 0) {
      if (contentType === 'application/vnd.kubernetes.protobuf') b = decodeProtobufBody(body) as unknown as Record<string, unknown>;
      else {
        try {
          const v = JSON.parse(body.toString('utf8')) as unknown;
          if (typeof v === 'object' && v !== null && !Array.isArray(v)) b = v as Record<string, unknown>;
          else throw new Error('not an object');
        } catch (err) {
          throw badRequest(`couldn't get version/kind; json parse error: ${syntaxMessage(err)}`);
        }
      }
    }
    return this.delete(rt, namespace, name, deleteOptions(b, q));
  }

  /** Delete deletes (or starts deleting) one object, honouring finalizers and propagation. */
  delete(rt: ResourceType, namespace: string, name: string, opts: DeleteOpts): RestResult {
    const ns = rt.namespaced ? namespace : '';
    const current = this.read(rt, ns, name);
    if (current === undefined) throw notFound(grOf(rt), name);
    const obj = current.obj;
    const meta = obj.metadata;
    if (rt.kind === 'Namespace' && rt.builtin) return this.deleteNamespace(rt, name, obj, opts);
    if (rt.kind === 'CustomResourceDefinition' && rt.builtin && meta.deletionTimestamp === undefined)
      return this.deleteCrd(rt, name, obj, opts);
    if (opts.preconditions?.uid !== undefined && opts.preconditions.uid !== meta.uid) {
      throw conflict(
        { group: rt.group, resource: rt.kind },
        name,
        `the UID in the precondition (${opts.preconditions.uid}) does not match the UID in record (${String(meta.uid)}). The object might have been deleted and then recreated`,
      );
    }
    if (opts.preconditions?.resourceVersion !== undefined && opts.preconditions.resourceVersion !== meta.resourceVersion) {
      throw conflict(
        { group: rt.group, resource: rt.kind },
        name,
        `the ResourceVersion in the precondition (${opts.preconditions.resourceVersion}) does not match the ResourceVersion in record (${String(meta.resourceVersion)}). The object might have been modified`,
      );
    }
    const finalizers = Array.isArray(meta.finalizers) ? [...meta.finalizers] : [];
    const pendingGraceful =
      meta.deletionTimestamp !== undefined && typeof meta.deletionGracePeriodSeconds === 'number' && meta.deletionGracePeriodSeconds > 0;
    if (pendingGraceful) return this.deletedResult(rt, obj, Number(meta.resourceVersion), false);
    const { changed, finalizers: newFinalizers } = gcFinalizers(rt, finalizers, opts);
    const pending = newFinalizers.length > 0;
    if (pending || changed) {
      if (meta.deletionTimestamp !== undefined && !changed) {
        // Already being deleted and waiting for finalizers: nothing to do.
        return { code: 200, body: obj, warnings: [], rv: Number(meta.resourceVersion) };
      }
      if (pending) {
        const next = structuredClone(obj);
        next.metadata.finalizers = newFinalizers;
        if (next.metadata.deletionTimestamp === undefined) {
          if (typeof next.metadata.generation === 'number' && next.metadata.generation > 0) next.metadata.generation += 1;
          next.metadata.deletionTimestamp = this.now();
        }
        next.metadata.deletionGracePeriodSeconds = 0;
        if (opts.dryRun) return { code: 200, body: next, warnings: [], rv: this.store.rv };
        const stored = this.store.put(rt.bucket, ns, name, rt.toStorage({ ...next }));
        next.metadata.resourceVersion = String(stored.rv);
        this.afterWrite(rt, next, obj);
        return { code: 200, body: next, warnings: [], rv: stored.rv };
      }
    }
    if (opts.dryRun) return this.deletedResult(rt, obj, this.store.rv, true);
    const removed = this.store.remove(rt.bucket, ns, name);
    this.afterWrite(rt, undefined, obj);
    const last = removed === undefined ? obj : rt.fromStorage(removed.object());
    return this.deletedResult(rt, last, removed?.rv ?? this.store.rv, true);
  }

  private deletedResult(rt: ResourceType, obj: KubeObject, rv: number, deleted: boolean): RestResult {
    if (rt.strategy.returnDeletedObject || !deleted) return { code: 200, body: obj, warnings: [], rv };
    const details: Record<string, unknown> = { name: obj.metadata.name, group: rt.group, kind: rt.resource, uid: obj.metadata.uid };
    if (rt.group === '') delete details.group;
    return { code: 200, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details }, warnings: [], rv };
  }

  /** DeleteCrd marks a CRD for deletion with the cleanup finalizer, as apiextensions' REST does. */
  private deleteCrd(rt: ResourceType, name: string, obj: KubeObject, opts: DeleteOpts): RestResult {
    const meta = obj.metadata;
    if (opts.preconditions?.uid !== undefined && opts.preconditions.uid !== meta.uid) {
      throw conflict(
        grOf(rt),
        name,
        `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${String(meta.uid)}`,
      );
    }
    if (opts.preconditions?.resourceVersion !== undefined && opts.preconditions.resourceVersion !== meta.resourceVersion) {
      throw conflict(
        grOf(rt),
        name,
        `Precondition failed: ResourceVersion in precondition: ${opts.preconditions.resourceVersion}, ResourceVersion in object meta: ${String(meta.resourceVersion)}`,
      );
    }
    const next = structuredClone(obj);
    next.metadata.deletionTimestamp = this.now();
    const fins = next.metadata.finalizers ?? [];
    if (!fins.includes(CRD_CLEANUP_FINALIZER)) next.metadata.finalizers = [...fins, CRD_CLEANUP_FINALIZER];
    setCondition(
      next,
      {
        type: 'Terminating',
        status: 'True',
        reason: 'InstanceDeletionPending',
        message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon',
      },
      this.now(),
    );
    if (opts.dryRun) return { code: 200, body: next, warnings: [], rv: this.store.rv };
    const stored = this.store.put(rt.bucket, '', name, rt.toStorage({ ...next }));
    next.metadata.resourceVersion = String(stored.rv);
    this.afterWrite(rt, next, obj);
    // The generic delete then finds the pending finalizer and returns the object.
    const again = this.read(rt, '', name);
    return { code: 200, body: again?.obj ?? next, warnings: [], rv: stored.rv };
  }

  private deleteNamespace(rt: ResourceType, name: string, obj: KubeObject, opts: DeleteOpts): RestResult {
    if (SYSTEM_NAMESPACES.has(name)) throw forbidden(grOf(rt), name, 'this namespace may not be deleted');
    const meta = obj.metadata;
    if (opts.preconditions?.uid !== undefined && opts.preconditions.uid !== meta.uid) {
      throw conflict(
        grOf(rt),
        name,
        `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${String(meta.uid)}`,
      );
    }
    if (opts.preconditions?.resourceVersion !== undefined && opts.preconditions.resourceVersion !== meta.resourceVersion) {
      throw conflict(
        grOf(rt),
        name,
        `Precondition failed: ResourceVersion in precondition: ${opts.preconditions.resourceVersion}, ResourceVersion in object meta: ${String(meta.resourceVersion)}`,
      );
    }
    if (meta.deletionTimestamp === undefined) {
      const next = structuredClone(obj);
      next.metadata.deletionTimestamp = this.now();
      next.status = { ...rec(next.status), phase: 'Terminating' };
      const current = new Set(next.metadata.finalizers ?? []);
      const shouldOrphan =
        opts.orphanDependents !== undefined
          ? opts.orphanDependents
          : opts.propagationPolicy !== undefined
            ? opts.propagationPolicy === 'Orphan'
            : current.has('orphan');
      const shouldForeground =
        opts.orphanDependents !== undefined
          ? !opts.orphanDependents
          : opts.propagationPolicy !== undefined
            ? opts.propagationPolicy === 'Foreground'
            : current.has('foregroundDeletion');
      if (shouldOrphan) current.add('orphan');
      else current.delete('orphan');
      if (shouldForeground) current.add('foregroundDeletion');
      else current.delete('foregroundDeletion');
      if (current.size > 0 || next.metadata.finalizers !== undefined) next.metadata.finalizers = [...current];
      if (next.metadata.finalizers?.length === 0) delete next.metadata.finalizers;
      if (opts.dryRun) return { code: 200, body: next, warnings: [], rv: this.store.rv };
      const stored = this.store.put('/namespaces', '', name, rt.toStorage({ ...next }));
      next.metadata.resourceVersion = String(stored.rv);
      this.afterWrite(rt, next, obj);
      return { code: 200, body: next, warnings: [], rv: stored.rv };
    }
    const specFinalizers = rec(obj.spec).finalizers;
    if (Array.isArray(specFinalizers) && specFinalizers.length > 0)
      return { code: 200, body: obj, warnings: [], rv: Number(meta.resourceVersion) };
    if ((meta.finalizers ?? []).length > 0) return { code: 200, body: obj, warnings: [], rv: Number(meta.resourceVersion) };
    if (opts.dryRun) return { code: 200, body: obj, warnings: [], rv: this.store.rv };
    const removed = this.store.remove('/namespaces', '', name);
    this.afterWrite(rt, undefined, obj);
    return { code: 200, body: removed === undefined ? obj : removed.object(), warnings: [], rv: removed?.rv ?? this.store.rv };
  }

  /** DeleteCollection deletes every matching object and returns the list of what it deleted. */
  deleteCollection(rt: ResourceType, namespace: string, listOpts: ListOpts, opts: DeleteOpts): RestResult {
    const { items, rv } = this.list(rt, namespace, { ...listOpts, limit: 0, continueToken: '' });
    let last = rv;
    const deleted: KubeObject[] = [];
    for (const o of items) {
      try {
        const r = this.delete(rt, o.namespace, o.name, opts);
        last = Math.max(last, r.rv);
        const item = rt.fromStorage(o.object());
        if (rt.builtin) {
          delete (item as Partial<KubeObject>).apiVersion;
          delete (item as Partial<KubeObject>).kind;
        }
        deleted.push(item);
      } catch (err) {
        if (err instanceof ApiError && err.status.reason === 'NotFound') continue;
        throw err;
      }
    }
    return {
      code: 200,
      body: { kind: rt.listKind, apiVersion: apiVersionOf(rt), metadata: { resourceVersion: String(rv) }, items: deleted },
      warnings: [],
      rv: last,
    };
  }

  private afterWrite(rt: ResourceType, obj: KubeObject | undefined, old: KubeObject | undefined): void {
    for (const h of this.hooks) {
      try {
        h(rt, obj as KubeObject, old);
      } catch (err) {
        this.log.info('write hook failed', { error: err });
      }
    }
  }
}

// -----------------------------------------------------------------------------------------------

function decodeProtobufBody(body: Buffer): KubeObject {
  return decodeProtobuf(body);
}

function ensureNamespace(rt: ResourceType, requestNamespace: string, meta: Record<string, unknown>): void {
  const expected = rt.namespaced ? requestNamespace : '';
  const ns = typeof meta.namespace === 'string' ? meta.namespace : '';
  if (ns === expected) {
    if (expected === '') delete meta.namespace;
    return;
  }
  if (ns === '') {
    meta.namespace = expected;
    return;
  }
  if (expected === '') {
    delete meta.namespace;
    return;
  }
  throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
}

/**
 * CheckUpdateName is kube's checkName for an update (PUT): the body must name the object, and
 * name the one on the URL; kube-apiserver gives these 400s before any lookup.
 */
function checkUpdateName(obj: KubeObject, name: string): void {
  const meta: unknown = obj.metadata;
  const bodyName = typeof meta === 'object' && meta !== null ? (meta as { name?: unknown }).name : undefined;
  if (typeof bodyName !== 'string' || bodyName === '')
    throw badRequest(`the name of the object (${name} based on URL) was undeterminable: name must be provided`);
  if (bodyName !== name) throw badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${name})`);
}

function typeMetaCauses(rt: ResourceType, obj: KubeObject): FieldCause[] {
  const out: FieldCause[] = [];
  if (obj.kind !== rt.kind) out.push(fe.invalid('kind', obj.kind ?? '', `must be ${rt.kind}`));
  const want = `${rt.group}/${rt.version}`;
  if (obj.apiVersion !== want) out.push(fe.invalid('apiVersion', obj.apiVersion ?? '', `must be ${want}`));
  return out;
}

function sameNonMetadata(a: KubeObject, b: KubeObject): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (k === 'metadata') continue;
    if (!deepEqual(a[k], b[k])) return false;
  }
  return true;
}

/**
 * KeepManagedFieldTimes restores the old managedFields when nothing but their timestamps changed
 * (kube's IgnoreManagedFieldsTimestampsTransformer), so a no-op write stays a no-op.
 */
function keepManagedFieldTimes(obj: KubeObject, old: KubeObject): void {
  const a = obj.metadata.managedFields;
  const b = old.metadata.managedFields;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length || a === b) return;
  for (let i = 0; i < a.length; i++) {
    const x = rec(a[i]);
    const y = rec(b[i]);
    const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
    for (const k of keys) if (k !== 'time' && !deepEqual(x[k], y[k])) return;
  }
  for (const k of new Set([...Object.keys(obj), ...Object.keys(old)])) if (k !== 'metadata' && !deepEqual(obj[k], old[k])) return;
  for (const k of new Set([...Object.keys(obj.metadata), ...Object.keys(old.metadata)])) {
    if (k !== 'managedFields' && k !== 'resourceVersion' && !deepEqual(obj.metadata[k], old.metadata[k])) return;
  }
  obj.metadata.managedFields = b;
}

function dedupOwnerReferences(obj: KubeObject, warnings: string[]): void {
  const refs = obj.metadata.ownerReferences;
  if (!Array.isArray(refs) || refs.length < 2) return;
  const seen = new Set<string>();
  const out = [];
  for (const r of refs) {
    const uid = String(rec(r).uid ?? '');
    if (seen.has(uid)) {
      warnings.push(
        `metadata.ownerReferences contains duplicate entries; API server dedups owner references in 1.20+, and may reject such requests as early as 1.24; please fix your requests; duplicate UID(s) observed: ${uid}`,
      );
      continue;
    }
    seen.add(uid);
    out.push(r);
  }
  obj.metadata.ownerReferences = out;
}

/** GcFinalizers decides the orphan/foregroundDeletion finalizers for a delete, as store.go does. */
function gcFinalizers(rt: ResourceType, finalizers: string[], opts: DeleteOpts): { changed: boolean; finalizers: string[] } {
  if (!rt.strategy.gcSupported) return { changed: false, finalizers };
  let orphan: boolean;
  if (opts.orphanDependents !== undefined) orphan = opts.orphanDependents;
  else if (opts.propagationPolicy !== undefined) orphan = opts.propagationPolicy === 'Orphan';
  else orphan = finalizers.includes('orphan');
  let foreground: boolean;
  if (opts.orphanDependents !== undefined) foreground = false;
  else if (opts.propagationPolicy !== undefined) foreground = opts.propagationPolicy === 'Foreground';
  else foreground = finalizers.includes('foregroundDeletion');
  const next = finalizers.filter((f) => f !== 'orphan' && f !== 'foregroundDeletion');
  if (orphan) next.push('orphan');
  if (foreground) next.push('foregroundDeletion');
  const same = next.length === finalizers.length && next.every((f) => finalizers.includes(f));
  return { changed: !same, finalizers: same ? finalizers : next };
}

export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

/** SetCondition sets a condition in status.conditions, keeping lastTransitionTime when the status is unchanged. */
export function setCondition(obj: KubeObject, c: { type: string; status: string; reason: string; message: string }, now: string): boolean {
  const status = rec(obj.status);
  obj.status = status;
  const conds = Array.isArray(status.conditions) ? (status.conditions as Record<string, unknown>[]) : [];
  const i = conds.findIndex((x) => x.type === c.type);
  const prev = i >= 0 ? conds[i] : undefined;
  if (prev !== undefined && prev.status === c.status && prev.reason === c.reason && prev.message === c.message) return false;
  const next: Record<string, unknown> = {
    type: c.type,
    status: c.status,
    lastTransitionTime: prev !== undefined && prev.status === c.status ? prev.lastTransitionTime : now,
    reason: c.reason,
    message: c.message,
  };
  if (i >= 0) conds[i] = next;
  else conds.push(next);
  status.conditions = conds;
  return true;
}

function invalidPatch(message: string): ApiError {
  return invalid('', '', '', [fe.invalid('patch', '', message)]);
}

/** JsonOrLeadingNode parses an apply body that looks like JSON as kube does (see yamlbody.ts). */
function jsonOrLeadingNode(text: string): { value: unknown; json: string } {
  try {
    return { value: JSON.parse(text), json: text };
  } catch (err) {
    const lead = leadingJsonNode(text);
    if (lead === undefined) throw err;
    if (!lead.ok) throw new Error(`error converting YAML to JSON: yaml: ${lead.message}`);
    return { value: lead.value, json: lead.json };
  }
}

function syntaxMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function findDuplicates(text: string, value: unknown): string[] {
  return hasDuplicateKeys(text, value) ? findDuplicateKeys(text) : [];
}

/** EncodeContinue builds a continue token like kube's: base64url of {"v","rv","start"}. */
export function encodeContinue(start: string, rv: number): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

export function decodeContinue(token: string): { start: string; rv: number } {
  // Go's base64.RawURLEncoding: no padding, URL alphabet, and a length that is not 1 mod 4.
  const bad = token.search(/[^A-Za-z0-9_-]/);
  if (bad >= 0 || token.length % 4 === 1) {
    throw badRequest(
      `invalid continue token: continue key is not valid: illegal base64 data at input byte ${bad >= 0 ? bad : token.length - 1}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('invalid continue token: continue key is not valid: invalid character looking for beginning of value');
  }
  const p = rec(parsed);
  if (p.v !== 'meta.k8s.io/v1')
    throw badRequest(
      `invalid continue token: continue key is not valid: server does not recognize this encoded version ${String(p.v ?? '')}`,
    );
  if (typeof p.rv !== 'number' || p.rv === 0)
    throw badRequest('invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof p.start !== 'string' || p.start === '')
    throw badRequest('invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)');
  if (p.start.includes('..')) throw badRequest(`invalid continue token: continue key is not valid: ${p.start}`);
  return { start: p.start, rv: p.rv };
}

export { internalError };
