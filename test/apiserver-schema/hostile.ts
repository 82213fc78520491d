// Generated hostile CRD cases (too big to keep readable as YAML): CEL rules at cel-go's parser
// limits (code points, grammar nesting, visitor depth), a pathological cost, and a deeply nested
// schema. Each runs through the same differential check as corpus/crds.
import type { CrdCase, ObjectSuite } from './corpus.ts';

const ruleSchema = (rule: string): Record<string, unknown> => ({
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: { items: { type: 'array', items: { type: 'string' } }, s: { type: 'string' } },
      'x-kubernetes-validations': [{ rule }],
    },
  },
});

function deepSchema(levels: number): Record<string, unknown> {
  let s: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < levels; i++) s = { type: 'object', properties: { a: s } };
  return s;
}

const terms = (n: number, t: string, op: string): string => Array.from({ length: n }, () => t).join(op);

export function hostileCrdCases(): { file: string; cases: CrdCase[] } {
  const rules: Record<string, string> = {
    'parentheses nested 249 deep (the limit)': `${'('.repeat(249)}true${')'.repeat(249)}`,
    'parentheses nested 250 deep: recursion limit': `${'('.repeat(250)}true${')'.repeat(250)}`,
    'parentheses nested 5000 deep': `${'('.repeat(5000)}true${')'.repeat(5000)}`,
    'selection chain of 250 (type error)': `self${'.s'.repeat(250)}`,
    'selection chain of 251: visitor depth': `self${'.s'.repeat(251)}`,
    'selection chain of 3000': `self${'.s'.repeat(3000)}`,
    'arithmetic chain at the visitor limit': `${terms(250, '1', ' + ')} > 0`,
    'arithmetic chain past the visitor limit': `${terms(251, '1', ' + ')} > 0`,
    'expression over 100,000 code points': terms(7000, 'self.s == "a"', ' || '),
    'string literal over 100,000 code points': `self.s == "${'é'.repeat(100_000)}"`,
    'cubic comprehension over an unbounded list: cost': 'self.items.all(x, self.items.all(y, self.items.all(z, x + y + z != "")))',
    'catastrophic-backtracking regex is fine in RE2': 'self.s.matches("^(a+)+$")',
  };
  const cases: CrdCase[] = Object.entries(rules).map(([name, rule]) => ({ name, schema: ruleSchema(rule) }));
  cases.push({
    name: 'schema nested 1000 levels',
    schema: { type: 'object', properties: { spec: deepSchema(1000) } },
  });
  return { file: 'generated/hostile', cases };
}

function nested(levels: number, list: boolean): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < levels; i++) v = list ? [v] : { a: v };
  return v;
}

/** HostileObjectSuite writes objects nested 1,000 levels deep (kube accepts them; so must we). */
export function hostileObjectSuite(): ObjectSuite {
  const crd = {
    spec: {
      names: { plural: 'deeps', singular: 'deep', kind: 'Deep', listKind: 'DeepList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  'x-kubernetes-preserve-unknown-fields': true,
                  'x-kubernetes-validations': [{ rule: '!has(self.count) || self.count == 1', message: 'count must be 1' }],
                  properties: { count: { type: 'integer' } },
                },
              },
            },
          },
        },
      ],
    },
  };
  const obj = (name: string, spec: unknown) => ({ kind: 'Deep', metadata: { name }, spec });
  return {
    file: 'generated/deep',
    crd,
    cases: [
      { name: 'maps nested 1000 levels', object: obj('maps', nested(1000, false)) },
      { name: 'lists nested 1000 levels', object: obj('lists', { a: nested(999, true) }) },
      { name: 'maps nested 1000 levels failing a rule', object: obj('rule', { b: nested(999, false), count: 2 }) },
    ],
  };
}
