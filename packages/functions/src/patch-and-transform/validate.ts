/**
 * Input validation, a port of function-patch-and-transform's validate.go: the first problem is
 * returned as a Kubernetes field error (`resources[0].patches[1].transforms[0].math.type:
 * Required value: math transform type is required`).
 */
import { compileGoRegexp } from '../goregexp.ts';
import type { Combine, ConnectionDetail, Patch, ReadinessCheck, ResourcesInput, Transform } from './input.ts';
import { patchType } from './input.ts';

/** FieldError is k8s.io/apimachinery's field.Error. */
export interface FieldError {
  field: string;
  kind: 'Required' | 'Invalid';
  value?: string;
  detail: string;
}

export function fieldErrorString(e: FieldError): string {
  const body = e.kind === 'Required' ? 'Required value' : `Invalid value: ${JSON.stringify(e.value ?? '')}`;
  return `${e.field}: ${body}${e.detail === '' ? '' : `: ${e.detail}`}`;
}

const required = (field: string, detail: string): FieldError => ({ field, kind: 'Required', detail });
const invalid = (field: string, value: string | undefined, detail: string): FieldError => ({
  field,
  kind: 'Invalid',
  value: value ?? '',
  detail,
});

function under(prefix: string, e: FieldError | undefined): FieldError | undefined {
  if (e === undefined) return undefined;
  return { ...e, field: `${prefix}.${e.field}` };
}

export function validateResources(r: ResourcesInput): FieldError | undefined {
  for (const ps of r.patchSets ?? []) {
    if ((ps.name ?? '') === '') return required('name', 'name is required');
    for (const [i, p] of (ps.patches ?? []).entries()) {
      const e = validatePatch(p, false);
      if (e) return under(`patches[${i}]`, e);
    }
  }
  if ((r.resources ?? []).length === 0 && (r.environment?.patches ?? []).length === 0) {
    return required('resources', 'resources or environment patches are required');
  }
  for (const [i, t] of (r.resources ?? []).entries()) {
    const e = validateTemplate(t);
    if (e) return under(`resources[${i}]`, e);
  }
  for (const [i, p] of (r.environment?.patches ?? []).entries()) {
    const t = patchType(p);
    if (
      ![
        'FromCompositeFieldPath',
        'ToCompositeFieldPath',
        'CombineFromComposite',
        'CombineToComposite',
        'FromEnvironmentFieldPath',
        'ToEnvironmentFieldPath',
      ].includes(t)
    ) {
      return under('environment', invalid(`patches[${i}][type]`, t, 'invalid environment patch type'));
    }
    const e = validatePatch(p, false);
    if (e) return under('environment', under(`patches[${i}]`, e));
  }
  return undefined;
}

function validateTemplate(t: NonNullable<ResourcesInput['resources']>[number]): FieldError | undefined {
  if ((t.name ?? '') === '') return required('name', 'name is required');
  for (const [i, p] of (t.patches ?? []).entries()) {
    const e = validatePatch(p, true);
    if (e) return under(`patches[${i}]`, e);
  }
  for (const [i, cd] of (t.connectionDetails ?? []).entries()) {
    const e = validateConnectionDetail(cd);
    if (e) return under(`connectionDetails[${i}]`, e);
  }
  for (const [i, rc] of (t.readinessChecks ?? []).entries()) {
    const e = validateReadinessCheck(rc);
    if (e) return under(`readinessChecks[${i}]`, e);
  }
  return undefined;
}

const READINESS_TYPES = ['NonEmpty', 'MatchString', 'MatchInteger', 'MatchTrue', 'MatchFalse', 'MatchCondition', 'None'];

export function validateReadinessCheck(r: ReadinessCheck): FieldError | undefined {
  const t = r.type ?? '';
  if (!READINESS_TYPES.includes(t)) return invalid('type', t, 'unknown readiness check type');
  switch (t) {
    case 'None':
      return undefined;
    case 'MatchString':
      if (r.matchString === undefined) return required('matchString', 'cannot be nil for type MatchString');
      break;
    case 'MatchInteger':
      if (r.matchInteger === undefined) return required('matchInteger', 'cannot be nil for type MatchInteger');
      break;
    case 'MatchCondition': {
      const m = r.matchCondition;
      if (m === undefined) return undefined;
      if ((m.type ?? '') === '') return under('matchCondition', required('type', 'cannot be empty for type MatchCondition'));
      if ((m.status ?? '') === '') return under('matchCondition', required('status', 'cannot be empty for type MatchCondition'));
      return undefined;
    }
    default:
      break;
  }
  if (r.fieldPath === undefined) return required('fieldPath', 'cannot be empty');
  return undefined;
}

export function validatePatch(p: Patch, allowPatchSet: boolean): FieldError | undefined {
  const t = patchType(p);
  switch (t) {
    case 'FromCompositeFieldPath':
    case 'ToCompositeFieldPath':
    case 'FromEnvironmentFieldPath':
    case 'ToEnvironmentFieldPath':
      if ((p.fromFieldPath ?? '') === '') return required('fromFieldPath', `fromFieldPath must be set for patch type ${t}`);
      break;
    case 'PatchSet':
      if (!allowPatchSet) return invalid('type', t, `patch type *v1beta1.EnvironmentPatch does not support patch of type ${t}`);
      if ((p.patchSetName ?? '') === '') return required('patchSetName', `patchSetName must be set for patch type ${t}`);
      break;
    case 'CombineFromComposite':
    case 'CombineToComposite':
    case 'CombineFromEnvironment':
    case 'CombineToEnvironment': {
      if (p.combine === undefined) return required('combine', `combine must be set for patch type ${t}`);
      if ((p.toFieldPath ?? p.fromFieldPath ?? '') === '') return required('toFieldPath', `toFieldPath must be set for patch type ${t}`);
      return under('combine', validateCombine(p.combine));
    }
    default:
      return invalid('type', t, 'unknown patch type');
  }
  for (const [i, tr] of (p.transforms ?? []).entries()) {
    const e = validateTransform(tr);
    if (e) return under(`transforms[${i}]`, e);
  }
  if (p.policy !== undefined) {
    const to = p.policy.toFieldPath ?? 'Replace';
    if (
      ![
        'Replace',
        'MergeObjects',
        'MergeObjectsAppendArrays',
        'ForceMergeObjects',
        'ForceMergeObjectsAppendArrays',
        'MergeObject',
        'AppendArray',
      ].includes(to)
    ) {
      return invalid('policy.toFieldPathPolicy', to, 'unknown toFieldPathPolicy');
    }
    const from = p.policy.fromFieldPath ?? 'Optional';
    if (from !== 'Required' && from !== 'Optional') return invalid('policy.fromFieldPathPolicy', from, 'unknown fromFieldPathPolicy');
  }
  return undefined;
}

function validateCombine(c: Combine): FieldError | undefined {
  const s = c.strategy ?? '';
  if (s === 'string') {
    if (c.string === undefined) return required('string', `string must be set for combine strategy ${s}`);
  } else if (s === '') {
    return required('strategy', 'a combine strategy must be provided');
  } else {
    return invalid('strategy', s, 'unknown strategy type');
  }
  const vars = c.variables ?? [];
  if (vars.length === 0) return required('variables', 'at least one variable must be provided');
  for (const [i, v] of vars.entries()) {
    if ((v.fromFieldPath ?? '') === '')
      return required(`variables[${i}].fromFieldPath`, 'fromFieldPath must be set for each combine variable');
  }
  return undefined;
}

export function validateTransform(t: Transform): FieldError | undefined {
  switch (t.type) {
    case 'math':
      if (t.math === undefined) return required('math', 'given transform type math requires configuration');
      return under('math', validateMath(t.math));
    case 'map':
      if (t.map === undefined) return required('map', 'given transform type map requires configuration');
      if (Object.keys(t.map).length === 0)
        return under('map', required('pairs', 'at least one pair must be specified if a map transform is specified'));
      return undefined;
    case 'match': {
      if (t.match === undefined) return required('match', 'given transform type match requires configuration');
      const ps = t.match.patterns ?? [];
      if (ps.length === 0)
        return under('match', required('patterns', 'at least one pattern must be specified if a match transform is specified'));
      for (const [i, p] of ps.entries()) {
        const pt = p.type ?? '';
        let e: FieldError | undefined;
        if (pt === 'literal' || pt === '') {
          if (p.literal === undefined) e = required('literal', 'literal pattern type requires a literal');
        } else if (pt === 'regexp') {
          if (p.regexp === undefined) e = required('regexp', 'regexp pattern type requires a regexp');
          else if (compileGoRegexp(p.regexp).error !== undefined) e = invalid('regexp', p.regexp, 'invalid regexp');
        } else {
          e = invalid('type', pt, 'unknown pattern type');
        }
        if (e) return under('match', under(`patterns[${i}]`, e));
      }
      return undefined;
    }
    case 'string':
      if (t.string === undefined) return required('string', 'given transform type string requires configuration');
      return under('string', validateString(t.string));
    case 'convert':
      if (t.convert === undefined) return required('convert', 'given transform type convert requires configuration');
      return under('convert', validateConvert(t.convert));
    default:
      return invalid('type', t.type, 'unknown transform type');
  }
}

export function validateMath(m: NonNullable<Transform['math']>): FieldError | undefined {
  const t = m.type ?? '';
  if (t === '') return required('type', 'math transform type is required');
  switch (t) {
    case 'Multiply':
      return m.multiply === undefined ? required('multiply', 'must specify a value if a multiply math transform is specified') : undefined;
    case 'ClampMin':
      return m.clampMin === undefined ? required('clampMin', 'must specify a value if a clamp min math transform is specified') : undefined;
    case 'ClampMax':
      return m.clampMax === undefined ? required('clampMax', 'must specify a value if a clamp max math transform is specified') : undefined;
    default:
      return invalid('type', t, 'unknown math transform type');
  }
}

function validateString(s: NonNullable<Transform['string']>): FieldError | undefined {
  const t = s.type ?? '';
  if (t === '') return required('type', 'string transform type is required');
  switch (t) {
    case 'Format':
      return s.fmt === undefined ? required('fmt', 'format transform requires a format') : undefined;
    case 'Convert':
      return s.convert === undefined ? required('convert', 'convert transform requires a conversion type') : undefined;
    case 'TrimPrefix':
    case 'TrimSuffix':
      return s.trim === undefined ? required('trim', 'trim transform requires a trim value') : undefined;
    case 'Regexp':
      if (s.regexp === undefined) return required('regexp', 'regexp transform requires a regexp');
      if ((s.regexp.match ?? '') === '') return required('regexp.match', 'regexp transform requires a match');
      if (compileGoRegexp(s.regexp.match ?? '').error !== undefined) return invalid('regexp.match', s.regexp.match, 'invalid regexp');
      return undefined;
    case 'Join':
      return s.join === undefined ? required('join', 'join transform requires a join') : undefined;
    case 'Replace':
      if (s.replace === undefined) return required('replace', 'replace transform requires a replace');
      if ((s.replace.search ?? '') === '') return required('replace.search', 'replace transform requires a search');
      return undefined;
    default:
      return invalid('type', t, 'unknown string transform type');
  }
}

export function validateConvert(c: NonNullable<Transform['convert']>): FieldError | undefined {
  const format = c.format ?? 'none';
  if (!['', 'none', 'quantity', 'json'].includes(format)) return invalid('format', format, 'invalid format');
  const to = c.toType ?? '';
  if (!['string', 'bool', 'int', 'int64', 'float64', 'object', 'array'].includes(to)) return invalid('toType', to, 'invalid type');
  return undefined;
}

export function validateConnectionDetail(cd: ConnectionDetail): FieldError | undefined {
  const t = cd.type ?? '';
  if (t === '') return required('type', 'connection detail type is required');
  if (!['FromConnectionSecretKey', 'FromFieldPath', 'FromValue'].includes(t)) return invalid('type', t, 'unknown connection detail type');
  if ((cd.name ?? '') === '') return required('name', 'name is required');
  if (t === 'FromValue' && cd.value === undefined) return required('value', 'value connection detail requires a value');
  if (t === 'FromConnectionSecretKey' && cd.fromConnectionSecretKey === undefined) {
    return required('fromConnectionSecretKey', 'from connection secret key connection detail requires a key');
  }
  if (t === 'FromFieldPath' && cd.fromFieldPath === undefined) {
    return required('fromFieldPath', 'from field path connection detail requires a field path');
  }
  return undefined;
}
