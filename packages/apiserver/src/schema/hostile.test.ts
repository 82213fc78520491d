import type { KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import type { JSONSchemaProps } from '../contracts.ts';
import { compileVersionSchema } from './compile.ts';
import { validateCrd } from './crd.ts';
import { maxNestingDepth, tooDeep } from './json.ts';

// Hostile input must fail fast with a clear error (or be handled), never hang or overflow.

const ctx = { group: 'example.org', version: 'v1', kind: 'Widget', namespaced: true };
const within = 5_000; // ms; generous for a loaded CI machine, far below a hang

function nested(levels: number, list: boolean): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < levels; i++) v = list ? [v] : { a: v };
  return v;
}

function widget(spec: unknown): KubeObject {
  return { apiVersion: 'example.org/v1', kind: 'Widget', metadata: { name: 'w' }, spec } as unknown as KubeObject;
}

function timed<T>(f: () => T): T {
  const started = performance.now();
  const out = f();
  expect(performance.now() - started).toBeLessThan(within);
  return out;
}

const preserved = compileVersionSchema(
  {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
        'x-kubernetes-validations': [{ rule: 'self == self' }],
      },
    },
  } as JSONSchemaProps,
  ctx,
);

describe('deeply nested objects', () => {
  const cases: { reason: string; levels: number; list: boolean; want: string[] }[] = [
    { reason: '1,000 levels of maps are handled (kube accepts them too)', levels: 1_000, list: false, want: [] },
    { reason: '1,000 levels of lists are handled', levels: 1_000, list: true, want: [] },
    {
      reason: '5,000 levels are refused with a clear error',
      levels: 5_000,
      list: false,
      want: [`FieldValueForbidden spec: Forbidden: must not be nested more than ${maxNestingDepth} levels deep`],
    },
    {
      reason: '100,000 levels of lists are refused as fast',
      levels: 100_000,
      list: true,
      want: [`FieldValueForbidden spec: Forbidden: must not be nested more than ${maxNestingDepth} levels deep`],
    },
  ];
  it.each(cases)('$reason', (c) => {
    const obj = widget(c.list ? { l: nested(c.levels, true) } : nested(c.levels, false));
    const causes = timed(() => {
      preserved.prune(obj);
      preserved.applyDefaults(obj);
      return preserved.validate(obj, { old: obj });
    });
    expect(causes.map((x) => `${x.reason} ${x.field}: ${x.message}`)).toEqual(c.want);
  });

  it('checks depth iteratively', () => {
    expect(tooDeep(nested(1_000_000, true), 10)).toBe(true);
    expect(tooDeep(nested(9, false), 10)).toBe(false);
  });
});

describe('big values', () => {
  const schema = compileVersionSchema(
    {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            items: {
              type: 'array',
              maxItems: 100,
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['name'],
              items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, v: { type: 'integer' } } },
              'x-kubernetes-validations': [{ rule: 'self.all(x, x.v >= 0)' }],
            },
            s: { type: 'string', maxLength: 100, pattern: '^(a+)+$' },
            free: { type: 'string', pattern: '^(a+)+$' },
          },
        },
      },
    } as JSONSchemaProps,
    ctx,
  );
  const cases: { reason: string; spec: unknown; want: string[] }[] = [
    {
      reason: 'an array of 100,000 items over maxItems is reported once (and CEL is skipped)',
      spec: { items: Array.from({ length: 100_000 }, (_, i) => ({ name: `n${i}`, v: i })) },
      want: [
        'FieldValueTooMany spec.items: Too many: 100000: must have at most 100 items',
        'FieldValueInvalid <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
      ],
    },
    {
      reason: 'a 3 MB string over maxLength stops at the length check',
      spec: { s: 'a'.repeat(3_000_000) },
      want: [
        'FieldValueTooLong spec.s: Too long: may not be more than 100 bytes',
        'FieldValueInvalid <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
      ],
    },
    {
      reason: 'a catastrophic-backtracking pattern on a 1 MB string runs in linear time',
      spec: { free: `${'a'.repeat(1_000_000)}!` },
      want: [`FieldValueInvalid spec.free: Invalid value: "${'a'.repeat(1_000_000)}!": spec.free in body should match '^(a+)+$'`],
    },
  ];
  it.each(cases)('$reason', (c) => {
    const causes = timed(() => schema.validate(widget(c.spec)));
    expect(causes.map((x) => `${x.reason} ${x.field}: ${x.message}`)).toEqual(c.want);
  });
});

describe('deeply nested schemas', () => {
  function deepSchema(levels: number): unknown {
    let s: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < levels; i++) s = { type: 'object', properties: { a: s } };
    return s;
  }
  function crd(levels: number): KubeObject {
    return {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.org' },
      spec: {
        group: 'example.org',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', properties: { spec: deepSchema(levels) } } },
          },
        ],
      },
    } as unknown as KubeObject;
  }
  it('accepts 1,000 levels (as kube does)', () => {
    expect(timed(() => validateCrd(crd(1_000)))).toEqual([]);
  });
  it('refuses 5,000 levels with a clear error', () => {
    const causes = timed(() => validateCrd(crd(5_000)));
    expect(causes).toHaveLength(1);
    expect(causes[0]?.message).toBe('Invalid value: "": schema nesting exceeds 1024 levels');
  });
});
