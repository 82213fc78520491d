// CompileVersionSchema: one served CRD version's schema compiled once into everything a write
// needs — pruning, defaulting, and validation in kube-apiserver's order (type meta, OpenAPI
// keywords with ratcheting on update, scale paths, embedded resources, list-type uniqueness, CEL).
import type { KubeObject } from '@trellis/sdk';
import type { CompiledSchema, FieldCause, JSONSchemaProps, SchemaContext } from '../contracts.ts';
import { type CelValidator, compileCelValidator } from './cel/validator.ts';
import { ErrorType, type FieldError, forbidden, invalid, toCause } from './field.ts';
import { maxNestingDepth, tooDeep, tooDeepField } from './json.ts';
import { compileNode, type Node, validateValue } from './openapi.ts';
import { readProps } from './props.ts';
import { type Structural, toStructural } from './structural.ts';
import {
  applyDefaults,
  dropNonNullableNulls,
  hasDefaults,
  prune,
  TooDeepError,
  validateEmbedded,
  validateListSetsAndMaps,
} from './walk.ts';

/** ScaleContext is a version's `subresources.scale` (its replicas paths are validated as kube does). */
export interface ScaleContext {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/** ValidateOptions extends the contract's options: `subresource: 'status'` validates as a /status write. */
export interface ValidateOptions {
  old?: KubeObject;
  subresource?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const blockingTypes: ReadonlySet<string> = new Set([
  ErrorType.NotSupported,
  ErrorType.Required,
  ErrorType.TooLong,
  ErrorType.TooMany,
  ErrorType.TypeInvalid,
]);

const blockingMessage =
  'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

/** VersionSchema is a compiled version schema (implements the contract's CompiledSchema). */
export class VersionSchema implements CompiledSchema {
  readonly structural: Structural | undefined;
  readonly hasDefaults: boolean;
  readonly #ctx: SchemaContext & { scale?: ScaleContext };
  readonly #node: Node | undefined;
  readonly #statusNode: Node | undefined;
  readonly #cel: CelValidator | undefined;
  readonly #preserveUnknown: boolean;

  constructor(schema: JSONSchemaProps | undefined, ctx: SchemaContext & { scale?: ScaleContext }) {
    this.#ctx = ctx;
    if (schema === undefined) {
      this.structural = undefined;
      this.#node = undefined;
      this.#statusNode = undefined;
      this.#cel = undefined;
      this.#preserveUnknown = true;
      this.hasDefaults = false;
      return;
    }
    const { props } = readProps(schema, '');
    if (props === undefined) throw new TypeError('cannot compile schema: not an object');
    this.structural = toStructural(props);
    this.hasDefaults = hasDefaults(this.structural);
    this.#node = compileNode(props);
    const status = props.properties?.get('status');
    this.#statusNode = status === undefined ? undefined : compileNode(status);
    this.#cel = compileCelValidator(this.structural, true);
    this.#preserveUnknown = false;
  }

  prune(obj: KubeObject): { pruned: string[] } {
    // Too deep to walk safely: left as is, validate refuses it.
    if (this.#preserveUnknown || tooDeep(obj)) return { pruned: [] };
    const pruned = prune(obj, this.structural, true);
    dropNonNullableNulls(obj, this.structural);
    return { pruned };
  }

  applyDefaults(obj: KubeObject): void {
    if (this.structural !== undefined && !tooDeep(obj)) applyDefaults(obj, this.structural);
  }

  validate(obj: KubeObject, opts: ValidateOptions = {}): FieldCause[] {
    const deep = tooDeepField(obj);
    if (deep !== undefined) {
      return [toCause(forbidden(deep === '' ? '<nil>' : deep, `must not be nested more than ${maxNestingDepth} levels deep`))];
    }
    try {
      return this.#validate(obj, opts).map(toCause);
    } catch (e) {
      if (e instanceof TooDeepError || e instanceof RangeError) return [toCause(invalid('<nil>', '', e.message))];
      throw e;
    }
  }

  #validate(obj: KubeObject, opts: ValidateOptions): FieldError[] {
    const typeMeta = this.#typeMeta(obj);
    if (typeMeta.length > 0) return typeMeta;
    const u = obj as unknown as Record<string, unknown>;
    const old = opts.old as unknown as Record<string, unknown> | undefined;
    const errs: FieldError[] = [];
    if (opts.subresource === 'status') {
      if (Object.hasOwn(u, 'status') && this.#statusNode !== undefined) {
        errs.push(
          ...validateValue(this.#statusNode, u.status, 'status', {
            old: old?.status,
            ratchet: old !== undefined && Object.hasOwn(old, 'status'),
          }),
        );
      }
      errs.push(...this.#scaleStatus(u));
      const newList = validateListSetsAndMaps('', this.structural, u);
      if (newList.length > 0 && (old === undefined || validateListSetsAndMaps('', this.structural, old).length === 0))
        errs.push(...newList);
    } else {
      if (this.#node !== undefined) errs.push(...validateValue(this.#node, u, undefined, { old, ratchet: old !== undefined }));
      errs.push(...this.#scaleSpec(u), ...this.#scaleStatus(u));
      errs.push(...validateEmbedded('', u, this.structural, false));
      if (old === undefined || validateListSetsAndMaps('', this.structural, old).length === 0) {
        errs.push(...validateListSetsAndMaps('', this.structural, u));
      }
    }
    if (this.#cel !== undefined) {
      if (errs.some((e) => blockingTypes.has(e.type))) errs.push(invalid('<nil>', null, blockingMessage));
      else errs.push(...this.#cel.validate(u, old));
    }
    return errs;
  }

  #typeMeta(obj: KubeObject): FieldError[] {
    const errs: FieldError[] = [];
    const kind = (obj as { kind?: unknown }).kind;
    const apiVersion = (obj as { apiVersion?: unknown }).apiVersion;
    if (kind !== this.#ctx.kind) errs.push(invalid('kind', kind ?? '', `must be ${this.#ctx.kind}`));
    const gv = `${this.#ctx.group}/${this.#ctx.version}`;
    if (apiVersion !== gv) errs.push(invalid('apiVersion', apiVersion ?? '', `must be ${gv}`));
    return errs;
  }

  #scaleSpec(u: Record<string, unknown>): FieldError[] {
    const scale = this.#ctx.scale;
    return scale === undefined ? [] : replicas(u, scale.specReplicasPath);
  }

  #scaleStatus(u: Record<string, unknown>): FieldError[] {
    const scale = this.#ctx.scale;
    if (scale === undefined) return [];
    const errs = replicas(u, scale.statusReplicasPath);
    if (scale.labelSelectorPath !== undefined && scale.labelSelectorPath !== '') {
      const { value, found } = nested(u, scale.labelSelectorPath);
      if (found && typeof value !== 'string') {
        errs.push(
          invalid(
            scale.labelSelectorPath,
            '',
            `${accessorError(scale.labelSelectorPath, value)} is of the type ${goTypeName(value)}, expected string`,
          ),
        );
      }
    }
    return errs;
  }
}

function nested(u: Record<string, unknown>, path: string): { value: unknown; found: boolean } {
  let cur: unknown = u;
  for (const part of path.replace(/^\./, '').split('.')) {
    if (!isRecord(cur) || !Object.hasOwn(cur, part)) return { value: undefined, found: false };
    cur = cur[part];
  }
  return { value: cur, found: true };
}

function goTypeName(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  if (v === null) return '<nil>';
  return 'map[string]interface {}';
}

function accessorError(path: string, _v: unknown): string {
  return `${path.replace(/^\./, '')} accessor error: ${String(_v === null ? '<nil>' : '')}`.replace(/: $/, '');
}

function replicas(u: Record<string, unknown>, path: string): FieldError[] {
  const { value, found } = nested(u, path);
  if (!found) return [];
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    const trimmed = path.replace(/^\./, '');
    return [invalid(path, 0, `${trimmed} accessor error: ${goValue(value)} is of the type ${goTypeName(value)}, expected int64`)];
  }
  if (value < 0) return [invalid(path, value, 'should be a non-negative integer')];
  if (value > 2147483647) return [invalid(path, value, 'should be less than or equal to 2147483647')];
  return [];
}

function goValue(v: unknown): string {
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** CompileVersionSchema compiles one version's schema (the contract's SchemaLibrary.compileVersionSchema). */
export function compileVersionSchema(schema: JSONSchemaProps | undefined, ctx: SchemaContext & { scale?: ScaleContext }): VersionSchema {
  return new VersionSchema(schema, ctx);
}
