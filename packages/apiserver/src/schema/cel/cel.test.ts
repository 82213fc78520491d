import type { KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import type { JSONSchemaProps } from '../../contracts.ts';
import { compileVersionSchema } from '../compile.ts';
import { validateCrd } from '../crd.ts';

// CEL rules in x-kubernetes-validations: the Kubernetes libraries at runtime, messages, and the
// compile-time limits. Every "holds" rule below also evaluates to true on the real kube-apiserver
// (checked when written; test/apiserver-schema/corpus/objects/cellib.yaml keeps checking them).

const ctx = { group: 'example.org', version: 'v1', kind: 'Widget', namespaced: true };
const props = {
  name: { type: 'string', maxLength: 64 },
  n: { type: 'integer' },
  f: { type: 'number' },
  tags: { type: 'array', maxItems: 10, items: { type: 'string', maxLength: 16 } },
  nums: { type: 'array', maxItems: 10, items: { type: 'integer' } },
  labels: { type: 'object', maxProperties: 10, additionalProperties: { type: 'string', maxLength: 16 } },
  mem: { 'x-kubernetes-int-or-string': true },
  endpoint: { type: 'string', maxLength: 128 },
  addr: { type: 'string', maxLength: 64 },
  when: { type: 'string', format: 'date-time' },
  ttl: { type: 'string', format: 'duration' },
  data: { type: 'string', format: 'byte' },
  opt: { type: 'object', properties: { x: { type: 'string' } } },
};
const value = {
  name: 'web-Server',
  n: 3,
  f: 2.5,
  tags: ['b', 'a', 'c'],
  nums: [3, 1, 2],
  labels: { app: 'web', tier: 'front' },
  mem: '1Gi',
  endpoint: 'https://example.com:8443/a/b?q=1',
  addr: '10.0.0.1',
  when: '2024-01-02T03:04:05Z',
  ttl: '90s',
  data: 'aGVsbG8=',
};

function schemaWith(rules: unknown[]): JSONSchemaProps {
  return {
    type: 'object',
    properties: { spec: { type: 'object', properties: props, 'x-kubernetes-validations': rules } },
  } as JSONSchemaProps;
}

function evaluate(rules: unknown[], spec: unknown = value, oldSpec?: unknown): string[] {
  const cs = compileVersionSchema(schemaWith(rules), ctx);
  const obj = (s: unknown) => ({ apiVersion: 'example.org/v1', kind: 'Widget', metadata: { name: 'w' }, spec: s }) as unknown as KubeObject;
  return cs
    .validate(obj(spec), { old: oldSpec === undefined ? undefined : obj(oldSpec) })
    .map((c) => `${c.reason} ${c.field}: ${c.message}`);
}

function crdErrors(rules: unknown[]): string[] {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.org' },
    spec: {
      group: 'example.org',
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schemaWith(rules) } }],
    },
  };
  return validateCrd(crd as unknown as KubeObject).map(
    (c) => `${c.reason} ${c.field.replace('spec.validation.openAPIV3Schema.properties[spec].', '')}: ${c.message}`,
  );
}

describe('CEL libraries (each rule holds, as on kube-apiserver)', () => {
  const rules: string[] = [
    'self.name.lowerAscii() == "web-server"',
    'self.name.upperAscii() == "WEB-SERVER"',
    'self.name.split("-") == ["web", "Server"]',
    'self.tags.join("/") == "b/a/c"',
    'self.name.replace("-", "_") == "web_Server"',
    '" x ".trim() == "x"',
    'self.name.indexOf("-") == 3',
    'self.name.substring(4) == "Server"',
    'self.name.startsWith("web") && self.name.endsWith("Server") && self.name.contains("b-S")',
    'self.name.size() == 10',
    'self.nums.isSorted() == false && [1, 2, 3].isSorted()',
    'self.nums.sum() == 6',
    'self.nums.min() == 1 && self.nums.max() == 3',
    'self.tags.indexOf("a") == 1 && self.tags.lastIndexOf("z") == -1',
    'self.nums.sort() == [1, 2, 3]',
    'self.tags.reverse() == ["c", "a", "b"]',
    '[1, 1, 2].distinct() == [1, 2]',
    '[[1], [2, 3]].flatten() == [1, 2, 3]',
    'self.nums.slice(1, 3) == [1, 2]',
    'lists.range(3) == [0, 1, 2]',
    'sets.contains(self.tags, ["a", "b"]) && sets.intersects(self.tags, ["z", "c"]) && sets.equivalent(["a", "b"], ["b", "a", "a"])',
    'self.name.matches("^web-[A-Z]") && self.name.find("[A-Z][a-z]+") == "Server" && "a1b22".findAll("[0-9]+") == ["1", "22"]',
    'isURL(self.endpoint) && url(self.endpoint).getScheme() == "https" && url(self.endpoint).getHostname() == "example.com" && url(self.endpoint).getPort() == "8443" && url(self.endpoint).getEscapedPath() == "/a/b" && url(self.endpoint).getQuery()["q"] == ["1"]',
    'isQuantity(self.mem) && quantity(self.mem).isGreaterThan(quantity("512Mi")) && quantity("1k").asInteger() == 1000 && quantity("1.5").asApproximateFloat() == 1.5 && quantity("1Gi").compareTo(quantity("1024Mi")) == 0',
    'isIP(self.addr) && ip(self.addr).family() == 4 && !ip(self.addr).isLoopback() && ip("::1").isLoopback() && isCIDR("10.0.0.0/8")',
    'self.when < timestamp("2025-01-01T00:00:00Z") && self.ttl == duration("1m30s") && self.data == b"hello"',
    'has(self.labels.app) && self.labels.app == "web" && "tier" in self.labels && !has(self.opt)',
    'self.tags.all(t, t.size() == 1) && self.tags.exists(t, t == "c") && self.tags.exists_one(t, t == "a") && self.tags.map(t, t + t) == ["bb", "aa", "cc"] && self.tags.filter(t, t > "a") == ["b", "c"]',
    'self.labels.all(k, k.size() > 2)',
    'optional.of(1).hasValue() && !optional.none().hasValue() && optional.none().orValue(5) == 5',
    'int(self.f) == 2 && double(self.n) == 3.0 && string(self.n) == "3" && uint(self.n) == 3u && self.n / 2 == 1 && self.n % 2 == 1',
    'type(self.n) == int && type(self.name) == string && type(self.tags) == list',
    'self.f > 2.0 && self.f < 3.0 && -self.n == -3 && self.n != 4',
  ];
  it.each(rules.map((rule) => ({ rule })))('$rule', ({ rule }) => {
    expect(crdErrors([{ rule }])).toEqual([]);
    expect(evaluate([{ rule }])).toEqual([]);
  });
});

describe('CEL rule failures', () => {
  const cases: { reason: string; rules: unknown[]; spec?: unknown; old?: unknown; want: string[] }[] = [
    {
      reason: 'a failing rule on an object omits the value and reports the rule',
      rules: [{ rule: 'self.n > 5' }],
      want: ['FieldValueInvalid spec: Invalid value: failed rule: self.n > 5'],
    },
    {
      reason: 'message, messageExpression, reason and fieldPath',
      rules: [
        { rule: 'self.n > 5', message: 'n must exceed 5' },
        { rule: 'self.n > 5', messageExpression: '"n is " + string(self.n)', reason: 'FieldValueForbidden', fieldPath: '.n' },
      ],
      want: ['FieldValueInvalid spec: Invalid value: n must exceed 5', 'FieldValueForbidden spec.n: Forbidden: n is 3'],
    },
    {
      reason: 'a messageExpression that fails falls back to the message',
      rules: [{ rule: 'false', message: 'fallback', messageExpression: 'self.labels["missing"]' }],
      want: ['FieldValueInvalid spec: Invalid value: fallback'],
    },
    {
      reason: 'a runtime error (missing map key) is reported with the rule',
      rules: [{ rule: 'self.labels["missing"] == "x"' }],
      want: ['FieldValueInvalid spec: Invalid value: "object": no such key: missing evaluating rule: self.labels["missing"] == "x"'],
    },
    {
      reason: 'transition rules compare with the old object on update',
      rules: [{ rule: 'self.n >= oldSelf.n', message: 'n may only grow' }],
      spec: { ...value, n: 2 },
      old: value,
      want: ['FieldValueInvalid spec: Invalid value: n may only grow'],
    },
    {
      reason: 'optionalOldSelf makes transition rules run on create with oldSelf absent',
      rules: [{ rule: '!oldSelf.hasValue() || self.n >= oldSelf.value().n', optionalOldSelf: true, message: 'n may only grow' }],
      want: [],
    },
  ];
  it.each(cases)('$reason', (c) => {
    expect(evaluate(c.rules, c.spec, c.old)).toEqual(c.want);
  });
});

describe('CEL compile limits (hostile rules fail fast with cel-go’s errors)', () => {
  const rule = 'x-kubernetes-validations[0].rule';
  const cases: { reason: string; rule: string; want: RegExp }[] = [
    {
      reason: 'over 100,000 code points',
      rule: `self.name == "${'é'.repeat(100_000)}"`,
      want: /expression code point size exceeds limit: size: 100015, limit 100000$/,
    },
    {
      reason: 'parentheses nested 250 deep',
      rule: `${'('.repeat(250)}true${')'.repeat(250)}`,
      want: /<input>:-1:0: expression recursion limit exceeded: 250$/,
    },
    { reason: 'a selection chain of 251', rule: `self${'.n'.repeat(251)}`, want: /<input>:-1:0: max recursion depth exceeded$/ },
    {
      reason: 'a selection chain of 100,000 characters',
      rule: `self${'.n'.repeat(49_000)}`,
      want: /<input>:-1:0: max recursion depth exceeded$/,
    },
    {
      reason: 'an unbounded cubic comprehension',
      rule: 'self.labels.all(a, self.labels.all(b, self.labels.all(c, a + b + c != "")))',
      want: /^$/,
    },
    {
      reason: 'an invalid regex literal',
      rule: 'self.name.matches("(")',
      want: /<input>:1:19: invalid matches argument\n/,
    },
  ];
  it.each(cases)('$reason', (c) => {
    const started = performance.now();
    const errs = crdErrors([{ rule: c.rule }]);
    expect(performance.now() - started).toBeLessThan(5_000);
    if (c.want.source === '^$') {
      // Bounded by maxProperties (10), so cheap enough.
      expect(errs).toEqual([]);
      return;
    }
    expect(errs.length).toBeGreaterThan(0);
    expect(errs[0]?.startsWith(`FieldValueInvalid ${rule}: Invalid value: `)).toBe(true);
    expect(errs[0]).toMatch(c.want);
  });

  it('rejects a cubic comprehension over an unbounded list by its estimated cost', () => {
    const crdRule = { rule: 'self.all(a, self.all(b, self.all(c, a + b + c != "")))' };
    const crd = {
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
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: { spec: { type: 'array', items: { type: 'string' }, 'x-kubernetes-validations': [crdRule] } },
              },
            },
          },
        ],
      },
    };
    const errs = validateCrd(crd as unknown as KubeObject).map((c) => `${c.field}: ${c.message.split(' (')[0]}`);
    expect(errs).toEqual([
      'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x',
      'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema',
      'spec.validation.openAPIV3Schema: Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of more than 100x',
    ]);
  });
});
