import { type KubeObject, TrellisError } from '@trellis/sdk';
import { formatSource, type Source } from '../input/load.ts';

/**
 * The `trellis test` file format (docs/testing.md): one or more `CompositionTest` documents, each
 * a suite of cases that render an XR through a Composition and assert on the output.
 *
 *   apiVersion: test.trellis.dev/v1alpha1
 *   kind: CompositionTest
 *   metadata: { name: database }
 *   spec:
 *     composition: ../composition.yaml    # defaults for every case (paths relative to this file)
 *     functions: ../functions.yaml
 *     xrd: ../xrd.yaml
 *     cases:
 *       - name: defaults
 *         xr: xr.yaml                      # or an inline object
 *         assert:
 *           resources: [{ name: database, matches: { spec: { forProvider: { encoding: UTF8 } } } }]
 */

export const TestApiVersion = 'test.trellis.dev/v1alpha1';
export const TestKind = 'CompositionTest';

/** An Input is a path (relative to the test file) or an inline object. */
export type Input = { path: string } | { inline: KubeObject };

/** A ResourceAssertion checks one composed resource, by composition resource name. */
export interface ResourceAssertion {
  name: string;
  matches?: Record<string, unknown>;
  absent?: boolean;
}

/** A ResultAssertion expects a function result (kind Result in `render -r`). */
export interface ResultAssertion {
  severity?: string;
  reason?: string;
  /** Message is a substring of the result's message. */
  message?: string;
}

export interface Assertions {
  resources: ResourceAssertion[];
  count?: number;
  /** Composite is a subset of the rendered XR (`render -x`). */
  composite?: Record<string, unknown>;
  conditions: Record<string, unknown>[];
  results: ResultAssertion[];
  /** Error: the render must fail with a message containing this. */
  error?: string;
  /** Valid: the XR and the composed resources validate against the XRD and the extensions. */
  valid?: boolean;
  /** Golden: the output of `trellis render -x -r` equals this file (`--update` rewrites it). */
  golden?: string;
}

/** The inputs of a case (a suite's spec gives defaults, a case overrides them). */
export interface CaseInputs {
  xr?: Input;
  composition?: Input;
  xrd?: Input;
  functions: Input[];
  observed: Input[];
  required: Input[];
  extensions: string[];
  context: Record<string, unknown>;
  timeout: string;
}

export interface TestCase {
  name: string;
  /** Field is where the case is in the file (`spec.cases[2]`), for messages. */
  field: string;
  inputs: CaseInputs;
  assert: Assertions;
}

export interface TestSuite {
  name: string;
  source: Source;
  /** Dir is the directory of the test file: relative paths start here. */
  dir: string;
  cases: TestCase[];
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A ParseError names the file, document and field of a problem in a test file. */
function problem(source: Source, field: string, msg: string): TrellisError {
  return new TrellisError('CLI_TEST_INVALID', `invalid test in ${formatSource(source)}: ${field}: ${msg}`);
}

class Reader {
  readonly source: Source;
  constructor(source: Source) {
    this.source = source;
  }
  fail(field: string, msg: string): never {
    throw problem(this.source, field, msg);
  }
  str(v: unknown, field: string): string | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'string') this.fail(field, `want a string, got ${typeof v}`);
    return v;
  }
  obj(v: unknown, field: string): Obj | undefined {
    if (v === undefined) return undefined;
    if (!isObj(v)) this.fail(field, 'want an object');
    return v;
  }
  list(v: unknown, field: string): unknown[] {
    if (v === undefined) return [];
    if (!Array.isArray(v)) this.fail(field, 'want a list');
    return v;
  }
  input(v: unknown, field: string): Input | undefined {
    if (v === undefined) return undefined;
    if (typeof v === 'string') {
      if (v === '') this.fail(field, 'want a path or an object, got ""');
      return { path: v };
    }
    if (isObj(v)) {
      if (typeof v.apiVersion !== 'string' || typeof v.kind !== 'string') this.fail(field, 'an inline object needs apiVersion and kind');
      return { inline: { ...v, metadata: isObj(v.metadata) ? v.metadata : {} } as KubeObject };
    }
    return this.fail(field, 'want a path or an inline object');
  }
  inputs(v: unknown, field: string): Input[] | undefined {
    if (v === undefined) return undefined;
    const items = typeof v === 'string' ? [v] : this.list(v, field);
    return items.map((x, i) => this.input(x, `${field}[${i}]`) as Input);
  }
  only(o: Obj, field: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) this.fail(field === '' ? k : `${field}.${k}`, `unknown field (want one of ${allowed.join(', ')})`);
    }
  }
}

const InputFields = ['xr', 'composition', 'xrd', 'functions', 'observed', 'required', 'extensions', 'context', 'timeout'] as const;
const AssertFields = ['resources', 'count', 'composite', 'conditions', 'results', 'error', 'valid', 'golden'] as const;

function readInputs(r: Reader, o: Obj, field: string, base?: CaseInputs): CaseInputs {
  const at = (k: string): string => `${field}.${k}`;
  const xr = r.input(o.xr, at('xr'));
  const composition = r.input(o.composition, at('composition'));
  const xrd = r.input(o.xrd, at('xrd'));
  const extensions = r.list(o.extensions, at('extensions')).map((x, i) => r.str(x, `${at('extensions')}[${i}]`) as string);
  const context = r.obj(o.context, at('context'));
  const timeout = r.str(o.timeout, at('timeout'));
  if (timeout !== undefined && !/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(timeout))
    r.fail(at('timeout'), `want a duration such as 30s, got "${timeout}"`);
  const pick = <T>(v: T | undefined, d: T | undefined): T | undefined => (v === undefined ? d : v);
  const out: CaseInputs = {
    functions: r.inputs(o.functions, at('functions')) ?? base?.functions ?? [],
    observed: r.inputs(o.observed, at('observed')) ?? base?.observed ?? [],
    required: r.inputs(o.required, at('required')) ?? base?.required ?? [],
    extensions: o.extensions === undefined ? (base?.extensions ?? []) : extensions,
    context: context ?? base?.context ?? {},
    timeout: timeout ?? base?.timeout ?? '1m',
  };
  const x = pick(xr, base?.xr);
  const c = pick(composition, base?.composition);
  const d = pick(xrd, base?.xrd);
  if (x !== undefined) out.xr = x;
  if (c !== undefined) out.composition = c;
  if (d !== undefined) out.xrd = d;
  return out;
}

function readAssert(r: Reader, v: unknown, field: string): Assertions {
  const o = r.obj(v, field);
  if (o === undefined)
    r.fail(field, 'required: say what the render must produce (resources, count, composite, conditions, results, error, valid or golden)');
  r.only(o, field, AssertFields);
  const out: Assertions = {
    resources: r.list(o.resources, `${field}.resources`).map((x, i) => {
      const f = `${field}.resources[${i}]`;
      const a = r.obj(x, f) ?? r.fail(f, 'want an object');
      r.only(a, f, ['name', 'matches', 'absent']);
      const name = r.str(a.name, `${f}.name`);
      if (name === undefined || name === '') r.fail(`${f}.name`, 'required: the composition resource name');
      const matches = r.obj(a.matches, `${f}.matches`);
      if (a.absent !== undefined && typeof a.absent !== 'boolean') r.fail(`${f}.absent`, 'want true or false');
      if (a.absent === true && matches !== undefined) r.fail(f, 'absent and matches exclude each other');
      return { name, ...(matches === undefined ? {} : { matches }), ...(a.absent === true ? { absent: true } : {}) };
    }),
    conditions: r.list(o.conditions, `${field}.conditions`).map((x, i) => r.obj(x, `${field}.conditions[${i}]`) ?? {}),
    results: r.list(o.results, `${field}.results`).map((x, i) => {
      const f = `${field}.results[${i}]`;
      const a = r.obj(x, f) ?? r.fail(f, 'want an object');
      r.only(a, f, ['severity', 'reason', 'message']);
      const out: ResultAssertion = {};
      const sev = r.str(a.severity, `${f}.severity`);
      if (sev !== undefined) {
        if (!['Normal', 'Warning'].includes(sev)) r.fail(`${f}.severity`, `want Normal or Warning, got "${sev}"`);
        out.severity = sev;
      }
      const reason = r.str(a.reason, `${f}.reason`);
      if (reason !== undefined) out.reason = reason;
      const message = r.str(a.message, `${f}.message`);
      if (message !== undefined) out.message = message;
      return out;
    }),
  };
  if (o.count !== undefined) {
    if (typeof o.count !== 'number' || !Number.isInteger(o.count) || o.count < 0) r.fail(`${field}.count`, 'want a whole number');
    out.count = o.count;
  }
  const composite = r.obj(o.composite, `${field}.composite`);
  if (composite !== undefined) out.composite = composite;
  const error = r.str(o.error, `${field}.error`);
  if (error !== undefined) out.error = error;
  if (o.valid !== undefined) {
    if (typeof o.valid !== 'boolean') r.fail(`${field}.valid`, 'want true or false');
    out.valid = o.valid;
  }
  const golden = r.str(o.golden, `${field}.golden`);
  if (golden !== undefined) out.golden = golden;
  if (out.error !== undefined && (out.resources.length > 0 || out.count !== undefined || out.golden !== undefined)) {
    r.fail(`${field}.error`, 'a case that expects the render to fail cannot also assert on its output');
  }
  return out;
}

/** ParseSuite reads one CompositionTest document. */
export function parseSuite(obj: KubeObject, source: Source, dir: string, fileName: string): TestSuite {
  const r = new Reader(source);
  if (obj.apiVersion !== TestApiVersion) r.fail('apiVersion', `want "${TestApiVersion}", got "${String(obj.apiVersion)}"`);
  if (obj.kind !== TestKind) r.fail('kind', `want "${TestKind}", got "${String(obj.kind)}"`);
  const spec = r.obj(obj.spec, 'spec') ?? r.fail('spec', 'required');
  r.only(spec, 'spec', [...InputFields, 'cases', 'assert', 'name']);
  const name = obj.metadata?.name ?? fileName;
  const defaults = readInputs(r, spec, 'spec');
  const rawCases = spec.cases === undefined ? undefined : r.list(spec.cases, 'spec.cases');
  const cases: TestCase[] = [];
  if (rawCases === undefined) {
    cases.push({ name, field: 'spec', inputs: defaults, assert: readAssert(r, spec.assert, 'spec.assert') });
  } else {
    if (spec.assert !== undefined) r.fail('spec.assert', 'with spec.cases, each case has its own assert');
    if (rawCases.length === 0) r.fail('spec.cases', 'want at least one case');
    const names = new Set<string>();
    for (const [i, c] of rawCases.entries()) {
      const f = `spec.cases[${i}]`;
      const o = r.obj(c, f) ?? r.fail(f, 'want an object');
      r.only(o, f, ['name', ...InputFields, 'assert']);
      const caseName = r.str(o.name, `${f}.name`) ?? `case-${i + 1}`;
      if (names.has(caseName)) r.fail(`${f}.name`, `duplicate case name "${caseName}"`);
      names.add(caseName);
      cases.push({ name: caseName, field: f, inputs: readInputs(r, o, f, defaults), assert: readAssert(r, o.assert, `${f}.assert`) });
    }
  }
  for (const c of cases) {
    if (c.inputs.xr === undefined) r.fail(`${c.field}.xr`, 'required: the composite resource to render (a path or an inline object)');
    if (c.inputs.composition === undefined) r.fail(`${c.field}.composition`, 'required: the Composition (a path or an inline object)');
  }
  return { name, source, dir, cases };
}
