import type { KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import type { JSONSchemaProps } from '../contracts.ts';
import { compileVersionSchema } from './compile.ts';

// Expected messages are kube-apiserver's: each row mirrors a case of the differential corpus
// (test/apiserver-schema/corpus/objects) that the real server answers the same way.

const ctx = { group: 'example.org', version: 'v1', kind: 'Widget', namespaced: true };

function compile(spec: unknown, extra: Record<string, unknown> = {}) {
  return compileVersionSchema({ type: 'object', properties: { spec, ...extra } } as JSONSchemaProps, ctx);
}

function widget(spec: unknown, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'example.org/v1', kind: 'Widget', metadata: { name: 'w' }, spec, ...extra } as unknown as KubeObject;
}

function causes(list: { reason: string; field: string; message: string }[]): string[] {
  return list.map((c) => `${c.reason} ${c.field}: ${c.message}`);
}

describe('validate: OpenAPI keywords, list types, embedded resources, CEL', () => {
  const cases: { reason: string; spec: unknown; value: unknown; want: string[] }[] = [
    {
      reason: 'a value of the wrong type is TypeInvalid with the JSON type as value',
      spec: { type: 'object', properties: { replicas: { type: 'integer' } } },
      value: { replicas: 'three' },
      want: ['FieldValueTypeInvalid spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"'],
    },
    {
      reason: 'enum is NotSupported listing the supported values',
      spec: { type: 'object', properties: { size: { type: 'string', enum: ['small', 'large'] } } },
      value: { size: 'huge' },
      want: ['FieldValueNotSupported spec.size: Unsupported value: "huge": supported values: "small", "large"'],
    },
    {
      reason: 'minimum and maximum (inclusive)',
      spec: { type: 'object', properties: { a: { type: 'integer', minimum: 1 }, b: { type: 'integer', maximum: 10 } } },
      value: { a: 0, b: 11 },
      want: [
        'FieldValueInvalid spec.a: Invalid value: 0: spec.a in body should be greater than or equal to 1',
        'FieldValueInvalid spec.b: Invalid value: 11: spec.b in body should be less than or equal to 10',
      ],
    },
    {
      reason: 'exclusiveMinimum and exclusiveMaximum',
      spec: {
        type: 'object',
        properties: {
          a: { type: 'number', minimum: 1, exclusiveMinimum: true },
          b: { type: 'number', maximum: 10, exclusiveMaximum: true },
        },
      },
      value: { a: 1, b: 10 },
      want: [
        'FieldValueInvalid spec.a: Invalid value: 1: spec.a in body should be greater than 1',
        'FieldValueInvalid spec.b: Invalid value: 10: spec.b in body should be less than 10',
      ],
    },
    {
      reason: 'multipleOf',
      spec: { type: 'object', properties: { a: { type: 'integer', multipleOf: 5 } } },
      value: { a: 7 },
      want: ['FieldValueInvalid spec.a: Invalid value: 7: spec.a in body should be a multiple of 5'],
    },
    {
      reason: 'int32 overflow is reported without a field, as kube-openapi does',
      spec: { type: 'object', properties: { a: { type: 'integer', format: 'int32' } } },
      value: { a: 2147483648 },
      want: ['FieldValueInvalid <nil>: Invalid value: "": Checked value must be of type integer with format int32 in spec.a'],
    },
    {
      reason: 'a fractional number in an integer field fails type and format',
      spec: { type: 'object', properties: { a: { type: 'integer' } } },
      value: { a: 1.5 },
      want: [
        'FieldValueTypeInvalid spec.a: Invalid value: "number": spec.a in body must be of type integer: "number"',
        'FieldValueInvalid <nil>: Invalid value: "": Checked value must be of type integer (default format) in spec.a',
      ],
    },
    {
      reason: 'maxLength is TooLong; minLength and pattern are Invalid',
      spec: {
        type: 'object',
        properties: {
          a: { type: 'string', maxLength: 3 },
          b: { type: 'string', minLength: 2 },
          c: { type: 'string', pattern: '^[a-z]+$' },
        },
      },
      value: { a: 'abcd', b: 'x', c: 'A1' },
      want: [
        'FieldValueTooLong spec.a: Too long: may not be more than 3 bytes',
        'FieldValueInvalid spec.b: Invalid value: "x": spec.b in body should be at least 2 chars long',
        'FieldValueInvalid spec.c: Invalid value: "A1": spec.c in body should match \'^[a-z]+$\'',
      ],
    },
    {
      reason: 'lengths count runes, the message still says bytes',
      spec: { type: 'object', properties: { a: { type: 'string', maxLength: 3 } } },
      value: { a: 'éééé' },
      want: ['FieldValueTooLong spec.a: Too long: may not be more than 3 bytes'],
    },
    {
      reason: 'formats: date-time, date, uuid, byte, ipv4',
      spec: {
        type: 'object',
        properties: {
          t: { type: 'string', format: 'date-time' },
          d: { type: 'string', format: 'date' },
          u: { type: 'string', format: 'uuid' },
          b: { type: 'string', format: 'byte' },
          ip: { type: 'string', format: 'ipv4' },
        },
      },
      value: { t: 'yesterday', d: '2024-13-01', u: 'nope', b: '!!', ip: '300.1.1.1' },
      want: [
        'FieldValueTypeInvalid spec.t: Invalid value: "yesterday": spec.t in body must be of type date-time: "yesterday"',
        'FieldValueTypeInvalid spec.d: Invalid value: "2024-13-01": spec.d in body must be of type date: "2024-13-01"',
        'FieldValueTypeInvalid spec.u: Invalid value: "nope": spec.u in body must be of type uuid: "nope"',
        'FieldValueTypeInvalid spec.b: Invalid value: "!!": spec.b in body must be of type byte: "!!"',
        'FieldValueTypeInvalid spec.ip: Invalid value: "300.1.1.1": spec.ip in body must be of type ipv4: "300.1.1.1"',
      ],
    },
    {
      reason: 'maxItems and maxProperties are TooMany (singular item); minProperties is Invalid',
      spec: {
        type: 'object',
        properties: {
          l: { type: 'array', minItems: 2, maxItems: 3, items: { type: 'integer' } },
          m: { type: 'object', maxProperties: 1, additionalProperties: { type: 'string' } },
          n: { type: 'object', minProperties: 2, additionalProperties: { type: 'string' } },
        },
      },
      value: { l: [1, 2, 3, 4], m: { a: 'x', b: 'y' }, n: { a: 'x' } },
      want: [
        'FieldValueTooMany spec.l: Too many: 4: must have at most 3 items',
        'FieldValueTooMany spec.m: Too many: 2: must have at most 1 item',
        'FieldValueInvalid spec.n: Invalid value: 1: spec.n in body should have at least 2 properties',
      ],
    },
    {
      reason: 'uniqueItems',
      spec: { type: 'object', properties: { l: { type: 'array', uniqueItems: true, items: { type: 'integer' } } } },
      value: { l: [1, 2, 1] },
      want: ['FieldValueInvalid spec.l: Invalid value: "": spec.l in body shouldn\'t contain duplicates'],
    },
    {
      reason: 'required, at the root of spec and nested',
      spec: {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string' }, nested: { type: 'object', required: ['x'], properties: { x: { type: 'string' } } } },
      },
      value: { nested: {} },
      want: ['FieldValueRequired spec.nested.x: Required value', 'FieldValueRequired spec.name: Required value'],
    },
    {
      reason: 'null is allowed when nullable and dropped (not an error) otherwise',
      spec: { type: 'object', properties: { a: { type: 'string', nullable: true }, b: { type: 'string' } } },
      value: { a: null },
      want: [],
    },
    {
      reason: 'x-kubernetes-int-or-string takes integers and strings only',
      spec: {
        type: 'object',
        properties: {
          a: { 'x-kubernetes-int-or-string': true },
          b: { 'x-kubernetes-int-or-string': true },
          c: { 'x-kubernetes-int-or-string': true },
        },
      },
      value: { a: 1, b: '50%', c: true },
      want: ['FieldValueTypeInvalid spec.c: Invalid value: "boolean": spec.c in body must be of type integer,string: "boolean"'],
    },
    {
      reason: 'x-kubernetes-list-type set: duplicates point at the later item',
      spec: { type: 'object', properties: { l: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } } } },
      value: { l: ['a', 'b', 'a'] },
      want: ['FieldValueDuplicate spec.l[2]: Duplicate value: "a"'],
    },
    {
      reason: 'x-kubernetes-list-type map: duplicate keys print the key fields',
      spec: {
        type: 'object',
        properties: {
          l: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['name'],
            items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, v: { type: 'integer' } } },
          },
        },
      },
      value: {
        l: [
          { name: 'a', v: 1 },
          { name: 'a', v: 2 },
        ],
      },
      want: ['FieldValueDuplicate spec.l[1]: Duplicate value: {"name":"a"}'],
    },
    {
      reason: 'oneOf with two valid alternatives',
      spec: {
        type: 'object',
        properties: { a: { type: 'string' }, b: { type: 'string' } },
        oneOf: [{ required: ['a'] }, { required: ['b'] }],
      },
      value: { a: 'x', b: 'y' },
      want: [
        'FieldValueInvalid <nil>: Invalid value: "": "spec" must validate one and only one schema (oneOf). Found 2 valid alternatives',
      ],
    },
    {
      reason: 'anyOf with none valid also reports the branch errors',
      spec: {
        type: 'object',
        properties: { a: { type: 'string' }, b: { type: 'string' } },
        anyOf: [{ required: ['a'] }, { required: ['b'] }],
      },
      value: {},
      want: [
        'FieldValueInvalid <nil>: Invalid value: "": "spec" must validate at least one schema (anyOf)',
        'FieldValueRequired spec.a: Required value',
      ],
    },
    {
      reason: 'not',
      spec: { type: 'object', properties: { a: { type: 'string' } }, not: { required: ['a'] } },
      value: { a: 'x' },
      want: ['FieldValueInvalid <nil>: Invalid value: "": "spec" must not validate the schema (not)'],
    },
    {
      reason: 'x-kubernetes-embedded-resource requires apiVersion and kind',
      spec: {
        type: 'object',
        properties: { e: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } },
      },
      value: { e: { metadata: { name: 'Bad_Name' } } },
      want: ['FieldValueRequired spec.e.apiVersion: Required value', 'FieldValueRequired spec.e.kind: Required value'],
    },
    {
      reason: 'CEL rules: message, messageExpression, reason and fieldPath',
      spec: {
        type: 'object',
        properties: { a: { type: 'integer' }, b: { type: 'integer' } },
        'x-kubernetes-validations': [
          { rule: 'self.a < self.b', message: 'a must be less than b' },
          { rule: 'self.a != 5', messageExpression: '"a is " + string(self.a)', reason: 'FieldValueForbidden', fieldPath: '.a' },
        ],
      },
      value: { a: 5, b: 1 },
      want: ['FieldValueInvalid spec: Invalid value: a must be less than b', 'FieldValueForbidden spec.a: Forbidden: a is 5'],
    },
    {
      reason: 'blocking errors (TooLong) skip CEL rules with a notice',
      spec: {
        type: 'object',
        properties: { a: { type: 'string', maxLength: 1 } },
        'x-kubernetes-validations': [{ rule: 'self.a == "x"' }],
      },
      value: { a: 'long' },
      want: [
        'FieldValueTooLong spec.a: Too long: may not be more than 1 byte',
        'FieldValueInvalid <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
      ],
    },
  ];
  it.each(cases)('$reason', (c) => {
    const cs = compile(c.spec);
    const obj = widget(c.value);
    cs.prune(obj);
    cs.applyDefaults(obj);
    expect(causes(cs.validate(obj))).toEqual(c.want);
  });
});

describe('validate: type meta, updates, subresources and scale', () => {
  const intSpec = { type: 'object', properties: { n: { type: 'integer', maximum: 5 }, m: { type: 'integer', maximum: 5 } } };
  const cases: {
    reason: string;
    obj: KubeObject;
    old?: KubeObject;
    subresource?: string;
    scale?: boolean;
    extra?: Record<string, unknown>;
    want: string[];
  }[] = [
    {
      reason: 'kind and apiVersion must be the CRD version’s',
      obj: { apiVersion: 'example.org/v2', kind: 'Gadget', metadata: { name: 'w' } } as unknown as KubeObject,
      want: [
        'FieldValueInvalid kind: Invalid value: "Gadget": must be Widget',
        'FieldValueInvalid apiVersion: Invalid value: "example.org/v2": must be example.org/v1',
      ],
    },
    {
      reason: 'an update keeping an invalid value is ratcheted',
      obj: widget({ n: 9, m: 1 }),
      old: widget({ n: 9, m: 0 }),
      want: [],
    },
    {
      reason: 'an update changing a value to an invalid one is not',
      obj: widget({ n: 9, m: 7 }),
      old: widget({ n: 9, m: 0 }),
      want: ['FieldValueInvalid spec.m: Invalid value: 7: spec.m in body should be less than or equal to 5'],
    },
    {
      reason: 'a /status write validates status only, with keyword paths relative to status (as kube does)',
      obj: widget({ n: 9 }, { status: { n: 8 } }),
      old: widget({ n: 9 }),
      subresource: 'status',
      extra: { status: intSpec },
      want: ['FieldValueInvalid status.n: Invalid value: 8: n in body should be less than or equal to 5'],
    },
    {
      reason: 'scale replicas paths must hold non-negative int32s',
      obj: widget({ replicas: -1 }, { status: { replicas: 2147483648 } }),
      scale: true,
      extra: { status: { type: 'object', properties: { replicas: { type: 'integer' } } } },
      want: [
        'FieldValueInvalid .spec.replicas: Invalid value: -1: should be a non-negative integer',
        'FieldValueInvalid .status.replicas: Invalid value: 2147483648: should be less than or equal to 2147483647',
      ],
    },
  ];
  it.each(cases)('$reason', (c) => {
    const spec = c.scale ? { type: 'object', properties: { replicas: { type: 'integer' } } } : intSpec;
    const cs = compileVersionSchema({ type: 'object', properties: { spec, ...c.extra } } as JSONSchemaProps, {
      ...ctx,
      ...(c.scale ? { scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } } : {}),
    });
    expect(causes(cs.validate(c.obj, { old: c.old, subresource: c.subresource }))).toEqual(c.want);
  });
});

describe('validate: CEL transition rules', () => {
  const spec = {
    type: 'object',
    properties: { size: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'size is immutable' }] } },
  };
  const cases: { reason: string; obj: KubeObject; old?: KubeObject; want: string[] }[] = [
    { reason: 'not evaluated on create', obj: widget({ size: 'a' }), want: [] },
    { reason: 'passes when unchanged', obj: widget({ size: 'a' }), old: widget({ size: 'a' }), want: [] },
    {
      reason: 'fails when changed',
      obj: widget({ size: 'b' }),
      old: widget({ size: 'a' }),
      want: ['FieldValueInvalid spec.size: Invalid value: "b": size is immutable'],
    },
    { reason: 'not evaluated when the old value is absent', obj: widget({ size: 'b' }), old: widget({}), want: [] },
  ];
  it.each(cases)('$reason', (c) => {
    expect(causes(compile(spec).validate(c.obj, { old: c.old }))).toEqual(c.want);
  });
});

describe('prune', () => {
  const cases: { reason: string; spec: unknown; value: unknown; pruned: string[]; after: unknown }[] = [
    {
      reason: 'unknown fields are removed and reported sorted by byte order',
      spec: { type: 'object', properties: { a: { type: 'string' } } },
      value: { a: 'x', z: 1, B: 2, nested: { q: 1 } },
      pruned: ['spec.B', 'spec.nested', 'spec.z'],
      after: { a: 'x' },
    },
    {
      reason: 'list items are pruned with their index',
      spec: { type: 'object', properties: { l: { type: 'array', items: { type: 'object', properties: { k: { type: 'string' } } } } } },
      value: { l: [{ k: 'a', x: 1 }, { k: 'b' }, { y: 2 }] },
      pruned: ['spec.l[0].x', 'spec.l[2].y'],
      after: { l: [{ k: 'a' }, { k: 'b' }, {}] },
    },
    {
      reason: 'x-kubernetes-preserve-unknown-fields keeps unknown fields but prunes inside known ones',
      spec: {
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
        properties: { known: { type: 'object', properties: { a: { type: 'string' } } } },
      },
      value: { free: { any: 1 }, known: { a: 'x', b: 'y' } },
      pruned: ['spec.known.b'],
      after: { free: { any: 1 }, known: { a: 'x' } },
    },
    {
      reason: 'additionalProperties schemas apply to every key',
      spec: { type: 'object', additionalProperties: { type: 'object', properties: { v: { type: 'integer' } } } },
      value: { one: { v: 1, w: 2 } },
      pruned: ['spec.one.w'],
      after: { one: { v: 1 } },
    },
    {
      reason: 'embedded resources keep apiVersion, kind and metadata',
      spec: {
        type: 'object',
        properties: { e: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' } } } },
      },
      value: { e: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 'b' } } },
      pruned: ['spec.e.data'],
      after: { e: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } },
    },
    {
      reason: 'nulls of non-nullable fields are dropped silently; nullable ones stay',
      spec: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string', nullable: true } } },
      value: { a: null, b: null },
      pruned: [],
      after: { b: null },
    },
  ];
  it.each(cases)('$reason', (c) => {
    const obj = widget(c.value, { bogus: true });
    const { pruned } = compile(c.spec).prune(obj);
    expect(pruned).toEqual(['bogus', ...c.pruned]);
    expect((obj as unknown as { spec: unknown }).spec).toEqual(c.after);
    expect(Object.keys(obj)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
  });

  it('keeps everything when the version has no schema', () => {
    const cs = compileVersionSchema(undefined, ctx);
    const obj = widget({ anything: 1 }, { extra: true });
    expect(cs.prune(obj)).toEqual({ pruned: [] });
    expect(obj).toEqual(widget({ anything: 1 }, { extra: true }));
  });
});

describe('applyDefaults', () => {
  const cases: { reason: string; spec: unknown; value: unknown; after: unknown }[] = [
    {
      reason: 'missing fields get their default',
      spec: { type: 'object', properties: { a: { type: 'string', default: 'x' }, b: { type: 'integer', default: 3 } } },
      value: { b: 1 },
      after: { a: 'x', b: 1 },
    },
    {
      reason: 'defaults apply top-down: inside a defaulted object and in every list item',
      spec: {
        type: 'object',
        properties: {
          o: { type: 'object', default: {}, properties: { inner: { type: 'string', default: 'in' } } },
          l: { type: 'array', items: { type: 'object', properties: { k: { type: 'string', default: 'k' } } } },
        },
      },
      value: { l: [{}, { k: 'set' }] },
      after: { o: { inner: 'in' }, l: [{ k: 'k' }, { k: 'set' }] },
    },
    {
      reason: 'a null of a non-nullable field with a default gets the default',
      spec: { type: 'object', properties: { a: { type: 'string', default: 'x' } } },
      value: { a: null },
      after: { a: 'x' },
    },
    {
      reason: 'additionalProperties defaults apply under every key',
      spec: { type: 'object', additionalProperties: { type: 'object', properties: { p: { type: 'integer', default: 1 } } } },
      value: { one: {}, two: { p: 2 } },
      after: { one: { p: 1 }, two: { p: 2 } },
    },
  ];
  it.each(cases)('$reason', (c) => {
    const cs = compile(c.spec);
    const obj = widget(c.value);
    cs.prune(obj);
    cs.applyDefaults(obj);
    expect((obj as unknown as { spec: unknown }).spec).toEqual(c.after);
  });
});

describe('hasDefaults', () => {
  const cases: { reason: string; spec: unknown; status?: unknown; want: boolean }[] = [
    { reason: 'a schema without any default', spec: { type: 'object', properties: { a: { type: 'string' } } }, want: false },
    {
      reason: 'a default deep inside list items',
      spec: {
        type: 'object',
        properties: { l: { type: 'array', items: { type: 'object', properties: { k: { type: 'string', default: 'k' } } } } },
      },
      want: true,
    },
    {
      reason: 'a default under additionalProperties',
      spec: { type: 'object', additionalProperties: { type: 'integer', default: 1 } },
      want: true,
    },
    {
      reason: 'a status default (the engine defaults XR and claim status to {observedGeneration: 0})',
      spec: { type: 'object' },
      status: { type: 'object', default: { observedGeneration: 0 }, properties: { observedGeneration: { type: 'integer' } } },
      want: true,
    },
  ];
  it.each(cases)('$reason', (c) => {
    expect(compile(c.spec, c.status === undefined ? {} : { status: c.status }).hasDefaults).toBe(c.want);
  });
  it('is false for a version without a schema', () => {
    expect(compileVersionSchema(undefined, ctx).hasDefaults).toBe(false);
  });
});
