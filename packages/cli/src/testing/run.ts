import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { FunctionRegistry } from '@trellis/functions';
import { errorMessage, formatError, type KubeObject, TrellisError } from '@trellis/sdk';
import { renderObjects } from '../commands/render.ts';
import { formatSource, loadObjects } from '../input/load.ts';
import { yamlStream } from '../ui/output.ts';
import { isSecret, redactSecrets } from '../ui/redact.ts';
import { isCrd, isXrd, SchemaSet } from '../validate/schemas.ts';
import { checkObject, gvkString, nameOf } from '../validate/validate.ts';
import type { Assertions, CaseInputs, Input, TestCase, TestSuite } from './format.ts';
import { parseSuite, TestKind } from './format.ts';
import { type Mismatch, subsetMismatches } from './match.ts';

/** A CaseResult is the outcome of one case. */
export interface CaseResult {
  suite: string;
  name: string;
  /** File is the test file (and where the suite starts in it). */
  file: string;
  status: 'passed' | 'failed' | 'error';
  durationMs: number;
  /** Failures are assertion failures (status failed) or the error that stopped the case (status error). */
  failures: string[];
}

export interface TestRun {
  results: CaseResult[];
  summary: { total: number; passed: number; failed: number; errors: number; durationMs: number };
}

export interface RunOptions {
  /** Filter keeps cases whose `suite/case` name matches. */
  filter?: RegExp;
  /** Update rewrites golden files instead of comparing. */
  update?: boolean;
  signal?: AbortSignal;
  registry?: FunctionRegistry;
  showSecrets?: boolean;
  /** OnResult is called after each case (progress). */
  onResult?: (r: CaseResult) => void;
  readStdin?: () => Promise<string>;
}

/** TestFilePattern is what directories are searched for. */
export const TestFilePattern = /\.test\.ya?ml$/;

/** FindTestFiles expands paths: files as given, directories searched for `*.test.yaml`. */
export async function findTestFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(p);
    } catch {
      throw new TrellisError('CLI_USAGE', `cannot read tests from "${p}": no such file or directory`);
    }
    if (!st.isDirectory()) {
      out.push(p);
      continue;
    }
    const walk = async (dir: string): Promise<void> => {
      const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        if (e.name.startsWith('.') || e.name === 'node_modules') continue;
        const f = join(dir, e.name);
        if (e.isDirectory()) await walk(f);
        else if (e.isFile() && TestFilePattern.test(e.name)) out.push(f);
      }
    };
    await walk(p);
  }
  if (out.length === 0)
    throw new TrellisError('CLI_USAGE', `no test files found in ${paths.map((p) => `"${p}"`).join(', ')} (looking for *.test.yaml)`);
  return out;
}

/** LoadSuites reads test files; a file that cannot be read becomes one errored result, not a crash. */
export async function loadSuites(files: readonly string[]): Promise<{ suites: TestSuite[]; broken: CaseResult[] }> {
  const suites: TestSuite[] = [];
  const broken: CaseResult[] = [];
  for (const f of files) {
    try {
      const objs = await loadObjects(f, { what: 'tests' });
      const tests = objs.filter((o) => o.object.kind === TestKind);
      if (tests.length === 0) throw new TrellisError('CLI_TEST_INVALID', `"${f}" holds no ${TestKind}`);
      for (const t of tests) suites.push(parseSuite(t.object, t.source, dirname(resolve(f)), basename(f).replace(TestFilePattern, '')));
    } catch (err) {
      broken.push({ suite: basename(f), name: '(load)', file: f, status: 'error', durationMs: 0, failures: [formatError(err)] });
    }
  }
  return { suites, broken };
}

/** RunSuites runs every case in order and summarises. */
export async function runSuites(suites: readonly TestSuite[], broken: readonly CaseResult[], opts: RunOptions = {}): Promise<TestRun> {
  const start = Date.now();
  const results: CaseResult[] = [...broken];
  for (const r of broken) opts.onResult?.(r);
  for (const s of suites) {
    for (const c of s.cases) {
      if (opts.filter !== undefined && !opts.filter.test(`${s.name}/${c.name}`)) continue;
      if (opts.signal?.aborted === true) throw new TrellisError('CLI_INTERRUPTED', 'interrupted');
      const r = await runCase(s, c, opts);
      results.push(r);
      opts.onResult?.(r);
    }
  }
  const count = (st: CaseResult['status']): number => results.filter((r) => r.status === st).length;
  return {
    results,
    summary: {
      total: results.length,
      passed: count('passed'),
      failed: count('failed'),
      errors: count('error'),
      durationMs: Date.now() - start,
    },
  };
}

interface Loaded {
  xr: KubeObject;
  composition: KubeObject;
  xrd?: KubeObject;
  functions: KubeObject[];
  observed: KubeObject[];
  required: KubeObject[];
  /** Extensions are CRDs and XRDs to validate the output against (assert.valid). */
  extensions: KubeObject[];
}

async function runCase(suite: TestSuite, c: TestCase, opts: RunOptions): Promise<CaseResult> {
  const start = Date.now();
  const base = { suite: suite.name, name: c.name, file: `${formatSource(suite.source)} (${c.field})` };
  const done = (status: CaseResult['status'], failures: string[]): CaseResult => ({
    ...base,
    status,
    durationMs: Date.now() - start,
    failures,
  });
  let loaded: Loaded;
  try {
    loaded = await loadInputs(suite, c.inputs, opts);
  } catch (err) {
    return done('error', [`cannot load the inputs of ${c.field}: ${formatError(err)}`]);
  }
  let docs: Record<string, unknown>[] | undefined;
  let renderError: unknown;
  try {
    docs = await renderObjects({
      xr: loaded.xr,
      composition: loaded.composition,
      ...(loaded.xrd === undefined ? {} : { xrd: loaded.xrd }),
      functions: loaded.functions,
      observed: loaded.observed,
      required: loaded.required,
      secrets: [],
      context: c.inputs.context,
      flags: { includeFullXr: true, includeFunctionResults: true, timeout: c.inputs.timeout },
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      ...(opts.registry === undefined ? {} : { registry: opts.registry }),
    });
  } catch (err) {
    if (opts.signal?.aborted === true) throw err;
    renderError = err;
  }
  try {
    const failures = await check(suite, c, docs, renderError, loaded, opts);
    return done(failures.length === 0 ? 'passed' : 'failed', failures);
  } catch (err) {
    return done('error', [formatError(err)]);
  }
}

function pathOf(suite: TestSuite, p: string): string {
  return isAbsolute(p) ? p : join(suite.dir, p);
}

async function loadInput(suite: TestSuite, input: Input, what: string, opts: RunOptions): Promise<KubeObject[]> {
  if ('inline' in input) return [structuredClone(input.inline)];
  const loaded = await loadObjects(pathOf(suite, input.path), {
    what,
    ...(opts.readStdin === undefined ? {} : { readStdin: opts.readStdin }),
  });
  return loaded.map((l) => l.object);
}

async function loadOne(suite: TestSuite, input: Input, what: string, opts: RunOptions): Promise<KubeObject> {
  const objs = await loadInput(suite, input, what, opts);
  const first = objs[0];
  if (first === undefined) throw new TrellisError('CLI_TEST_INVALID', `the ${what} input holds no object`);
  return first;
}

async function loadInputs(suite: TestSuite, i: CaseInputs, opts: RunOptions): Promise<Loaded> {
  const many = async (inputs: Input[], what: string): Promise<KubeObject[]> =>
    (await Promise.all(inputs.map((x) => loadInput(suite, x, what, opts)))).flat();
  const out: Loaded = {
    xr: await loadOne(suite, i.xr as Input, 'composite resource', opts),
    composition: await loadOne(suite, i.composition as Input, 'Composition', opts),
    functions: await many(i.functions, 'functions'),
    observed: await many(i.observed, 'observed resources'),
    required: await many(i.required, 'required resources'),
    extensions: (await Promise.all(i.extensions.map((p) => loadInput(suite, { path: p }, 'extensions', opts)))).flat(),
  };
  if (out.composition.kind !== 'Composition') {
    throw new TrellisError('CLI_TEST_INVALID', `the composition input is a ${out.composition.kind}, not a Composition`);
  }
  if (i.xrd !== undefined) out.xrd = await loadOne(suite, i.xrd, 'XRD', opts);
  return out;
}

const RenderGroup = 'render.crossplane.io/';

async function check(
  suite: TestSuite,
  c: TestCase,
  docs: Record<string, unknown>[] | undefined,
  renderError: unknown,
  loaded: Loaded,
  opts: RunOptions,
): Promise<string[]> {
  const a = c.assert;
  if (a.error !== undefined) {
    if (renderError === undefined) return [`want the render to fail with "${a.error}", but it succeeded`];
    const msg = formatError(renderError);
    return msg.includes(a.error) ? [] : [`want the render to fail with "${a.error}", got: ${msg}`];
  }
  if (renderError !== undefined || docs === undefined) return [`the render failed: ${formatError(renderError)}`];
  const xr = docs[0] as KubeObject;
  const composed = docs.slice(1).filter((d) => !String(d.apiVersion).startsWith(RenderGroup)) as KubeObject[];
  const results = docs.filter((d) => d.apiVersion === `${RenderGroup}v1beta1` && d.kind === 'Result');
  const reveal = opts.showSecrets === true;
  const failures: string[] = [];
  failures.push(...checkResources(a, composed, reveal));
  if (a.count !== undefined && composed.length !== a.count) {
    failures.push(`want ${a.count} composed resources, got ${composed.length}: ${composed.map(crn).join(', ') || 'none'}`);
  }
  if (a.composite !== undefined) {
    for (const m of subsetMismatches(a.composite, xr)) failures.push(`composite resource: ${m.message}`);
  }
  failures.push(...checkConditions(a, xr));
  failures.push(...checkResults(a, results));
  if (a.valid === true) failures.push(...validateOutput(xr, composed, loaded));
  if (a.golden !== undefined) failures.push(...(await checkGolden(suite, a.golden, docs, opts)));
  return failures;
}

function crn(o: KubeObject): string {
  return o.metadata?.annotations?.['crossplane.io/composition-resource-name'] ?? nameOf(o);
}

/** MismatchText prints a mismatch; values inside a Secret's data stay hidden unless asked. */
function mismatchText(m: Mismatch, obj: KubeObject, reveal: boolean): string {
  if (reveal || !isSecret(obj) || !/^(data|stringData)\b/.test(m.path)) return m.message;
  return `${m.path}: differs from the expected value (secret values are hidden; --show-secrets prints them)`;
}

function checkResources(a: Assertions, composed: KubeObject[], reveal: boolean): string[] {
  const out: string[] = [];
  for (const r of a.resources) {
    const got = composed.find((o) => crn(o) === r.name);
    if (r.absent === true) {
      if (got !== undefined) out.push(`resource "${r.name}": want it absent, but the render composed ${got.kind} "${nameOf(got)}"`);
      continue;
    }
    if (got === undefined) {
      out.push(`resource "${r.name}": not composed (composed: ${composed.map(crn).join(', ') || 'none'})`);
      continue;
    }
    if (r.matches === undefined) continue;
    for (const m of subsetMismatches(r.matches, got)) out.push(`resource "${r.name}": ${mismatchText(m, got, reveal)}`);
  }
  return out;
}

function checkConditions(a: Assertions, xr: KubeObject): string[] {
  const conds = (((xr.status ?? {}) as Record<string, unknown>).conditions ?? []) as Record<string, unknown>[];
  const out: string[] = [];
  for (const want of a.conditions) {
    const got = conds.find((x) => x.type === want.type);
    if (got === undefined) {
      out.push(`condition "${String(want.type)}": not set (set: ${conds.map((x) => String(x.type)).join(', ') || 'none'})`);
      continue;
    }
    for (const m of subsetMismatches(want, got)) out.push(`condition "${String(want.type)}": ${m.message}`);
  }
  return out;
}

function checkResults(a: Assertions, results: Record<string, unknown>[]): string[] {
  const out: string[] = [];
  for (const want of a.results) {
    const hit = results.some(
      (r) =>
        (want.severity === undefined || r.severity === want.severity) &&
        (want.reason === undefined || r.reason === want.reason) &&
        (want.message === undefined || String(r.message).includes(want.message)),
    );
    if (!hit) {
      const got = results.map((r) => `${String(r.severity)}: ${String(r.message)}`).join('; ') || 'none';
      out.push(`result ${JSON.stringify(want)}: not produced (results: ${got})`);
    }
  }
  return out;
}

function validateOutput(xr: KubeObject, composed: KubeObject[], loaded: Loaded): string[] {
  const schemas = new SchemaSet();
  for (const o of [...(loaded.xrd === undefined ? [] : [loaded.xrd]), ...loaded.extensions]) {
    if (isXrd(o)) schemas.addXrd(o, { kind: 'builtin' });
    else if (isCrd(o)) schemas.addCrd(o, { kind: 'builtin' });
  }
  const out: string[] = schemas.problems.map((p) => `${p.kind} "${p.name}" is invalid: ${p.message}`);
  for (const o of [xr, ...composed]) {
    const entry = schemas.get(o.apiVersion, o.kind);
    if (entry === undefined) continue;
    for (const f of checkObject(o, entry)) out.push(`${gvkString(o.apiVersion, o.kind)} "${nameOf(o)}" is invalid: ${f.message}`);
  }
  return out;
}

async function checkGolden(suite: TestSuite, golden: string, docs: Record<string, unknown>[], opts: RunOptions): Promise<string[]> {
  const path = pathOf(suite, golden);
  const text = yamlStream(redactSecrets(docs, { show: opts.showSecrets === true }));
  if (opts.update === true) {
    await writeFile(path, text);
    return [];
  }
  let want: string;
  try {
    want = await readFile(path, 'utf8');
  } catch (err) {
    return [`golden file "${golden}" cannot be read (${errorMessage(err)}); run with --update to write it`];
  }
  if (want === text) return [];
  return [`render output differs from golden file "${golden}" at line ${firstDiffLine(want, text)}; run with --update to accept it`];
}

function firstDiffLine(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `${i + 1}: want ${JSON.stringify(la[i] ?? '<end>')}, got ${JSON.stringify(lb[i] ?? '<end>')}`;
  }
  return '?';
}
