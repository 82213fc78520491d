/**
 * Patches, a port of function-patch-and-transform's patches.go: which object each patch type
 * reads from and writes to, combine, toFieldPath policies (merge options), `[*]` expansion and
 * PatchSet inlining.
 */
import { GoError, goWrap } from '../errors.ts';
import { expandWildcards, getValue, type JsonMap, type MergeOptions, mergeValue, toValidJson } from '../fieldpath/fieldpath.ts';
import { sprintf } from '../gofmt/sprintf.ts';
import { intsFromJson } from '../gofmt/values.ts';
import type { ComposedTemplate, Patch, PatchSet } from './input.ts';
import { fromFieldPath, patchType, toFieldPath, toFieldPathPolicy } from './input.ts';
import { upstreamBugs } from './semantics.ts';
import { resolveTransforms } from './transforms.ts';

export function toMergeOptions(p: Patch): MergeOptions | undefined {
  if (p.policy === undefined) return undefined;
  switch (toFieldPathPolicy(p)) {
    case 'Replace':
      return;
    case 'MergeObjects':
    case 'MergeObject':
      // Documented: "keeping target object keys, but overwriting any array values"; upstream's
      // mergo call keeps non-empty target arrays instead.
      return { keepMapValues: true, overwriteArrays: !upstreamBugs() };
    case 'MergeObjectsAppendArrays':
      return { keepMapValues: true, appendSlice: true };
    case 'ForceMergeObjects':
      return { keepMapValues: false };
    case 'ForceMergeObjectsAppendArrays':
    case 'AppendArray':
      return { appendSlice: true };
    default:
      throw new GoError(`invalid patch policy ${toFieldPathPolicy(p)}`);
  }
}

/** ApplyFromFieldPathPatch patches `to` from a field of `from`, through the transforms. */
export function applyFromFieldPathPatch(p: Patch, from: JsonMap, to: JsonMap, fromEnv = false): void {
  const raw = getValue(from, fromFieldPath(p));
  // The environment is an unstructured object decoded with k8s json: whole numbers are int64
  // there, unlike the observed XR and composed resources (float64).
  const input = fromEnv ? intsFromJson(raw) : raw;
  const out = resolveTransforms(p.transforms ?? [], input);
  const mo = toMergeOptions(p);
  const path = toFieldPath(p);
  if (path.includes('[*]')) {
    patchToMultiple(path, toValidJson(out), to, mo);
    return;
  }
  try {
    // mergeValue writes a JSON copy of the value (upstream's round trip), so none is made here.
    mergeValue(to, path, out, mo);
  } catch (e) {
    throw goWrap(e, 'cannot patch to object');
  }
}

function patchToMultiple(path: string, v: unknown, to: JsonMap, mo: MergeOptions | undefined): void {
  const paths = expandWildcards(to, path);
  if (paths.length === 0) throw new GoError(`cannot expand ToFieldPath ${path}`);
  for (const f of paths) mergeValue(to, f, v, mo);
}

/** ApplyCombinePatch reads every variable (any missing one skips the patch) and combines them. */
export function applyCombinePatch(p: Patch, from: JsonMap, to: JsonMap, fromEnv = false): void {
  const c = p.combine ?? {};
  const vars = (c.variables ?? []).map((v) => {
    const raw = getValue(from, v.fromFieldPath ?? '');
    return fromEnv ? intsFromJson(raw) : raw;
  });
  let combined: unknown;
  if (c.strategy === 'string') {
    if (c.string === undefined) throw new GoError(`given combine strategy ${c.strategy} requires configuration`);
    combined = sprintf(c.string.fmt ?? '', ...vars);
  } else {
    throw new GoError(`combine strategy ${c.strategy ?? ''} is not supported`);
  }
  const out = resolveTransforms(p.transforms ?? [], combined);
  const mo = toMergeOptions(p);
  try {
    mergeValue(to, toFieldPath(p), out, mo);
  } catch (e) {
    throw goWrap(e, 'cannot patch to object');
  }
}

/** ToComposedResource reports whether a patch writes to the composed resource. */
export function toComposedResource(p: Patch): boolean {
  switch (patchType(p)) {
    case 'FromCompositeFieldPath':
    case 'CombineFromComposite':
    case 'FromEnvironmentFieldPath':
    case 'CombineFromEnvironment':
      return true;
    default:
      return false;
  }
}

export interface PatchTargets {
  /** The observed composed resource, absent when it does not exist yet. */
  ocd: JsonMap | undefined;
  dcd: JsonMap;
  oxr: JsonMap;
  dxr: JsonMap;
  env: JsonMap;
}

/** ApplyComposedPatch applies one resource patch: observed → desired, as upstream. */
export function applyComposedPatch(p: Patch, t: PatchTargets): void {
  if (t.ocd === undefined && !toComposedResource(p)) return;
  const ocd = t.ocd ?? {};
  switch (patchType(p)) {
    case 'ToCompositeFieldPath':
      applyFromFieldPathPatch(p, ocd, t.dxr);
      return;
    case 'CombineToComposite':
      applyCombinePatch(p, ocd, t.dxr);
      return;
    case 'ToEnvironmentFieldPath':
      applyFromFieldPathPatch(p, ocd, t.env);
      return;
    case 'CombineToEnvironment':
      applyCombinePatch(p, ocd, t.env);
      return;
    case 'FromCompositeFieldPath':
      applyFromFieldPathPatch(p, t.oxr, t.dcd);
      return;
    case 'CombineFromComposite':
      applyCombinePatch(p, t.oxr, t.dcd);
      return;
    case 'FromEnvironmentFieldPath':
      applyFromFieldPathPatch(p, t.env, t.dcd, true);
      return;
    case 'CombineFromEnvironment':
      applyCombinePatch(p, t.env, t.dcd, true);
      return;
    default:
      return;
  }
}

/** ApplyEnvironmentPatch applies one `environment.patches` entry (observed XR ↔ environment → desired XR). */
export function applyEnvironmentPatch(p: Patch, env: JsonMap, oxr: JsonMap, dxr: JsonMap): void {
  switch (patchType(p)) {
    case 'FromCompositeFieldPath':
    case 'ToEnvironmentFieldPath':
      applyFromFieldPathPatch(p, oxr, env);
      return;
    case 'CombineFromComposite':
      applyCombinePatch(p, oxr, env);
      return;
    case 'ToCompositeFieldPath':
    case 'FromEnvironmentFieldPath':
      applyFromFieldPathPatch(p, env, dxr, true);
      return;
    case 'CombineToComposite':
      applyCombinePatch(p, env, dxr, true);
      return;
    default:
      return;
  }
}

/** ComposedTemplates inlines PatchSet references into each template's patches. */
export function composedTemplates(pss: readonly PatchSet[], cts: readonly ComposedTemplate[]): ComposedTemplate[] {
  const byName = new Map<string, Patch[]>();
  for (const s of pss) {
    for (const p of s.patches ?? []) {
      if (patchType(p) === 'PatchSet') throw new GoError('a patch in a PatchSet cannot be of type PatchSet');
    }
    byName.set(
      s.name ?? '',
      (s.patches ?? []).map((p) => ({ ...p, type: patchType(p) })),
    );
  }
  return cts.map((r) => {
    const out: Patch[] = [];
    for (const p of r.patches ?? []) {
      if (patchType(p) !== 'PatchSet') {
        out.push(p);
        continue;
      }
      if (p.patchSetName === undefined) throw new GoError('PatchSetName is required by type PatchSet');
      const ps = byName.get(p.patchSetName);
      if (ps === undefined) throw new GoError(`cannot find PatchSet by name ${p.patchSetName}`);
      out.push(...ps);
    }
    return { ...r, patches: out };
  });
}
