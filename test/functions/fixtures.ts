/** Loads the fixture corpus (test/fixtures/composition/<case>/) into function requests. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertResourcesComposition, isResourcesMode, type Resource, type RunFunctionRequest, type State } from '@trellis/functions';
import { parseAllDocuments } from 'yaml';

export const fixturesRoot = join(import.meta.dirname, '..', 'fixtures', 'composition');

type Obj = Record<string, unknown>;

export interface Fixture {
  name: string;
  dir: string;
  readme: string;
  xr: Obj;
  composition: Obj;
  functions: Obj[];
  observed: Obj[];
  required: Obj[];
  context: Obj | undefined;
  connectionDetails: Record<string, Record<string, string>>;
}

function yamlDocs(path: string): Obj[] {
  if (!existsSync(path)) return [];
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((d) => d.toJS() as Obj)
    .filter((d) => d !== null);
}

export function listFixtures(): string[] {
  return readdirSync(fixturesRoot, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(fixturesRoot, d.name, 'composition.yaml')))
    .map((d) => d.name)
    .sort();
}

export function loadFixture(name: string): Fixture {
  const dir = join(fixturesRoot, name);
  const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : undefined);
  const ctx = read('context.json');
  const cd = read('connection-details.json');
  return {
    name,
    dir,
    readme: read('README.md') ?? '',
    xr: yamlDocs(join(dir, 'xr.yaml'))[0] ?? {},
    composition: yamlDocs(join(dir, 'composition.yaml'))[0] ?? {},
    functions: yamlDocs(join(dir, 'functions.yaml')),
    observed: yamlDocs(join(dir, 'observed.yaml')),
    required: yamlDocs(join(dir, 'required.yaml')),
    context: ctx === undefined ? undefined : (JSON.parse(ctx) as Obj),
    connectionDetails: cd === undefined ? {} : (JSON.parse(cd) as Record<string, Record<string, string>>),
  };
}

export interface PipelineStep {
  step: string;
  functionName: string;
  input?: Obj;
}

/** Pipeline returns the steps; a legacy Resources-mode Composition is converted first. */
export function pipeline(f: Fixture): PipelineStep[] {
  const comp = isResourcesMode(f.composition) ? convertResourcesComposition(f.composition).composition : f.composition;
  const spec = (comp.spec ?? {}) as Obj;
  return ((spec.pipeline ?? []) as Obj[]).map((s) => {
    const out: PipelineStep = { step: String(s.step), functionName: String((s.functionRef as Obj).name) };
    if (s.input !== undefined) out.input = s.input as Obj;
    return out;
  });
}

export function functionPackage(f: Fixture, name: string): string | undefined {
  const fn = f.functions.find((x) => (x.metadata as Obj).name === name);
  return fn === undefined ? undefined : String((fn.spec as Obj).package);
}

/** ObservedState builds observed state as Crossplane does: resources keyed by composition-resource-name. */
export function observedState(f: Fixture): State {
  const resources: Record<string, Resource> = {};
  for (const o of f.observed) {
    const md = (o.metadata ?? {}) as Obj;
    const name = String(((md.annotations ?? {}) as Obj)['crossplane.io/composition-resource-name']);
    const r: Resource = { resource: o };
    const cd = f.connectionDetails[name];
    if (cd !== undefined) r.connectionDetails = Object.fromEntries(Object.entries(cd).map(([k, v]) => [k, new Uint8Array(Buffer.from(v))]));
    resources[name] = r;
  }
  return { composite: { resource: f.xr }, resources };
}

/** RequiredResources groups required.yaml objects the way environment-configs asks for them. */
export function requiredFor(
  f: Fixture,
  requirements: Record<string, { apiVersion: string; kind: string; matchName?: string; matchLabels?: { labels: Record<string, string> } }>,
): Record<string, { items: Resource[] }> {
  const out: Record<string, { items: Resource[] }> = {};
  for (const [key, sel] of Object.entries(requirements)) {
    const items = f.required.filter((o) => {
      if (o.apiVersion !== sel.apiVersion || o.kind !== sel.kind) return false;
      const md = (o.metadata ?? {}) as Obj;
      if (sel.matchName !== undefined) return md.name === sel.matchName;
      const labels = (md.labels ?? {}) as Record<string, string>;
      return Object.entries(sel.matchLabels?.labels ?? {}).every(([k, v]) => labels[k] === v);
    });
    items.sort((a, b) => String((a.metadata as Obj).name).localeCompare(String((b.metadata as Obj).name)));
    out[key] = { items: items.map((o) => ({ resource: o })) };
  }
  return out;
}

export function baseRequest(f: Fixture, s: PipelineStep): RunFunctionRequest {
  const req: RunFunctionRequest = { meta: { tag: `${f.name}/${s.step}` }, observed: observedState(f) };
  if (s.input !== undefined) req.input = s.input;
  return req;
}
