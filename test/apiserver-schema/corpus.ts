// The differential corpus: CRDs and custom resources (valid and invalid) kept as YAML under
// corpus/, each sent to the real kube-apiserver and run through the schema library, whose causes
// (reason, field, message) must match. A case may relax the comparison (`compare: reason+field`)
// only with a `why` that is also listed in docs/compatibility.md.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

export const corpusDir = join(import.meta.dirname, 'corpus');

/** Compare says how strictly causes must match. */
export type Compare = 'exact' | 'reason+field';

export interface CrdCase {
  name: string;
  /** Crd is a whole CRD; or give `schema` (and `subresources`) for the standard test CRD. */
  crd?: Record<string, unknown>;
  schema?: Record<string, unknown>;
  subresources?: Record<string, unknown>;
  compare?: Compare;
  why?: string;
}

/** TestGroup is the group of corpus CRDs (dry-run creates only, so it never collides). */
export const testGroup = 'corpus.trellis.test';

/** CrdOf returns the CRD a case describes (metadata.name filled in as <plural>.<group>). */
export function crdOf(c: CrdCase): Record<string, unknown> {
  // A JSON round trip copies (structuredClone overflows the stack on the deeply nested cases).
  const crd: Record<string, unknown> = jsonCopy(
    c.crd ?? {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      spec: {
        group: testGroup,
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: c.schema ?? { type: 'object' } },
            ...(c.subresources === undefined ? {} : { subresources: c.subresources }),
          },
        ],
      },
    },
  );
  crd.apiVersion ??= 'apiextensions.k8s.io/v1';
  crd.kind ??= 'CustomResourceDefinition';
  const spec = (crd.spec ?? {}) as { group?: string; names?: { plural?: string } };
  const meta = (crd.metadata ?? {}) as Record<string, unknown>;
  meta.name ??= `${spec.names?.plural ?? 'x'}.${spec.group ?? 'x'}`;
  crd.metadata = meta;
  return crd;
}

function jsonCopy<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export interface ObjectCase {
  name: string;
  object: Record<string, unknown>;
  /** Old is created for real first; the case is then an update of it. */
  old?: Record<string, unknown>;
  subresource?: 'status';
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  compare?: Compare;
  why?: string;
}

export interface ObjectSuite {
  file: string;
  crd: Record<string, unknown>;
  cases: ObjectCase[];
}

export interface ApplyStep {
  /** Manager is the fieldManager; the step is an apply unless `update` or `patch` is set. */
  manager: string;
  apply?: Record<string, unknown>;
  /** Update is a full PUT body (its metadata.resourceVersion is filled in from the live object). */
  update?: Record<string, unknown>;
  /** Patch is a JSON merge patch. */
  patch?: Record<string, unknown>;
  /** Create is a POST body (the first step usually). */
  create?: Record<string, unknown>;
  force?: boolean;
  subresource?: 'status';
  /** KeepManagedFields sends the live managedFields back with an update (as clients that GET then PUT do). */
  keepManagedFields?: boolean;
}

export interface ApplySuite {
  file: string;
  /** Crd is the suite's CRD; or `builtin` names a built-in kind. */
  crd?: Record<string, unknown>;
  builtin?: { apiVersion: string; kind: string; plural: string };
  sequences: { name: string; steps: ApplyStep[] }[];
}

function load<T>(sub: string): { file: string; doc: T }[] {
  const dir = join(corpusDir, sub);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ file: `${sub}/${f}`, doc: parseYaml(readFileSync(join(dir, f), 'utf8')) as T }));
}

export function crdCases(): { file: string; cases: CrdCase[] }[] {
  return load<{ cases: CrdCase[] }>('crds').map(({ file, doc }) => ({ file, cases: doc.cases }));
}

export function objectSuites(): ObjectSuite[] {
  return load<{ crd: Record<string, unknown>; cases: ObjectCase[] }>('objects').map(({ file, doc }) => ({
    file,
    crd: doc.crd,
    cases: doc.cases,
  }));
}

export function applySuites(): ApplySuite[] {
  return load<Omit<ApplySuite, 'file'>>('apply').map(({ file, doc }) => ({ file, ...doc }));
}

export interface Cause {
  reason: string;
  message: string;
  field: string;
}

/** NormalizeCauses sorts causes so order (random in Go for map iteration) does not matter. */
export function normalizeCauses(causes: readonly Cause[], compare: Compare = 'exact'): Cause[] {
  return causes
    .map((c) => ({ reason: c.reason ?? '', field: c.field ?? '', message: compare === 'exact' ? (c.message ?? '') : '' }))
    .sort((a, b) =>
      a.field + a.reason + a.message < b.field + b.reason + b.message
        ? -1
        : a.field + a.reason + a.message > b.field + b.reason + b.message
          ? 1
          : 0,
    );
}

/** UnknownFields extracts the `unknown field "x"` paths of a strict-decoding message or warnings. */
export function unknownFields(texts: readonly string[]): string[] {
  const out: string[] = [];
  for (const t of texts) for (const m of t.matchAll(/unknown field "([^"]*)"/g)) out.push(m[1] ?? '');
  return out.sort();
}
