// x-kubernetes-validations: compiling rules (with kube's compile errors and cost limits) and
// evaluating them against objects (apiextensions-apiserver pkg/apiserver/schema/cel), including
// transition rules (oldSelf), messageExpression, reason, fieldPath and ratcheting.
import { type CelEnv, type CelInput, type CelValue, celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import type { ParsedExpr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';
import { create } from '@bufbuild/protobuf';
import { DurationSchema, TimestampSchema } from '@bufbuild/protobuf/wkt';
import { child, duplicate, type FieldError, forbidden, index, internalError, invalid, key, OmitValue, required } from '../field.ts';
import { isDate, isDateTime, parseGoDuration } from '../formats.ts';
import { deepEqualJSON } from '../openapi.ts';
import type { ValidationRule } from '../props.ts';
import { compileRe2, Re2SyntaxError } from '../regex.ts';
import type { Structural } from '../structural.ts';
import { type CheckEnv, type CheckResult, checkExpr, setRegexValidator, typeString } from './check.ts';
import { type DeclType, escapeIdent, maxRequestSizeBytes, schemaDeclType } from './decl.ts';
import { kubernetesFuncs, optionalOf } from './library.ts';
import { maxRecursionDepth, preParseError, recursionError, visitDepth } from './limits.ts';

setRegexValidator((pattern, onError) => {
  try {
    compileRe2(pattern);
  } catch (e) {
    onError(e instanceof Re2SyntaxError ? e.message : String(e));
  }
});

/** StaticEstimatedCostLimit is the per-expression estimated cost limit (validation.go). */
export const staticEstimatedCostLimit = 10_000_000;
/** StaticEstimatedCRDCostLimit is the limit for all rules of a CRD. */
export const staticEstimatedCRDCostLimit = 100_000_000;
const maxMessageExpressionBytes = 5 * 1024;

let env: CelEnv | undefined;
function celEnvironment(): CelEnv {
  env ??= celEnv({ funcs: kubernetesFuncs() });
  return env;
}

type Program = (ctx: Record<string, CelInput>) => unknown;

/** A CompiledRule is one x-kubernetes-validations entry after compilation. */
export interface CompiledRule {
  rule: ValidationRule;
  program: Program | undefined;
  /** Error is the compile error detail (`compilation failed: ...`), if any; `errorType` says Required vs Invalid. */
  error: string | undefined;
  errorType: 'invalid' | 'required' | undefined;
  usesOldSelf: boolean;
  maxCost: number;
  maxCardinality: number;
  messageProgram: Program | undefined;
  messageError: string | undefined;
  messageMaxCost: number;
  normalizedFieldPath: string;
}

/** FormatIssues renders compile errors as cel-go's issues.String() does. */
function formatIssues(src: string, errs: { offset: number; message: string }[]): string {
  const lines = src.split('\n');
  const sorted = [...errs].sort((a, b) => a.offset - b.offset);
  return sorted
    .map((e) => {
      let off = e.offset;
      let line = 0;
      while (line < lines.length - 1 && off > (lines[line]?.length ?? 0)) {
        off -= (lines[line]?.length ?? 0) + 1;
        line++;
      }
      const text = lines[line] ?? '';
      const col = [...text.slice(0, off)].length;
      return `ERROR: <input>:${line + 1}:${col + 1}: ${e.message}\n | ${text}\n | ${'.'.repeat(col)}^`;
    })
    .join('\n');
}

function parseError(src: string, e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const m = /^<input>:(\d+):(\d+): (.*)$/s.exec(msg);
  if (m === null) return `ERROR: <input>:1:1: Syntax error: ${msg}`;
  const line = Number(m[1]);
  const col = Number(m[2]);
  const text = src.split('\n')[line - 1] ?? '';
  return `ERROR: <input>:${line}:${col}: Syntax error: ${m[3] ?? ''}\n | ${text}\n | ${'.'.repeat(Math.max(0, col - 1))}^`;
}

function maxCardinality(minSize: number): number {
  return Math.floor(maxRequestSizeBytes / (minSize + 1));
}

/**
 * ParseAndCheck parses and type-checks one expression within cel-go's parser limits, returning
 * the `ERROR: <input>:…` text when it does not compile.
 */
function parseAndCheck(src: string, env: CheckEnv): { parsed: ParsedExpr; checked: CheckResult } | string {
  const limit = preParseError(src);
  if (limit !== undefined) return limit;
  let parsed: ParsedExpr;
  try {
    parsed = parse(src);
  } catch (e) {
    if (e instanceof RangeError) return recursionError;
    return parseError(src, e);
  }
  if (visitDepth(parsed) > maxRecursionDepth) return recursionError;
  let checked: CheckResult;
  try {
    checked = checkExpr(parsed, env, src);
  } catch (e) {
    if (e instanceof RangeError) return recursionError;
    throw e;
  }
  if (checked.errors.length > 0) return formatIssues(src, checked.errors);
  return { parsed, checked };
}

/** CompileRules compiles the rules of one schema node against its CEL type. */
export function compileRules(s: Structural, rules: ValidationRule[], decl: DeclType): CompiledRule[] {
  return rules.map((rule) => compileRule(s, rule, decl));
}

function compileRule(s: Structural, rule: ValidationRule, decl: DeclType): CompiledRule {
  const out: CompiledRule = {
    rule,
    program: undefined,
    error: undefined,
    errorType: undefined,
    usesOldSelf: false,
    maxCost: 0,
    maxCardinality: maxCardinality(decl.minSerializedSize),
    messageProgram: undefined,
    messageError: undefined,
    messageMaxCost: 0,
    normalizedFieldPath: '',
  };
  if (rule.rule.trim() === '') return out;
  const checkEnv = { self: decl, optionalOldSelf: rule.optionalOldSelf === true };
  const compiled = parseAndCheck(rule.rule, checkEnv);
  if (typeof compiled === 'string') {
    out.error = `compilation failed: ${compiled}`;
    out.errorType = 'invalid';
    return out;
  }
  const { parsed, checked } = compiled;
  if (checked.type.k !== 'bool') {
    out.error = 'cel expression must evaluate to a bool';
    out.errorType = 'invalid';
    return out;
  }
  out.usesOldSelf = checked.usesOldSelf;
  out.maxCost = checked.cost;
  try {
    out.program = plan(celEnvironment(), parsed) as Program;
  } catch (e) {
    out.error = `program instantiation failed: ${e instanceof Error ? e.message : String(e)}`;
    out.errorType = 'invalid';
    return out;
  }
  if (rule.messageExpression !== '') {
    const message = parseAndCheck(rule.messageExpression, checkEnv);
    if (typeof message === 'string') {
      out.messageError = `messageExpression compilation failed: ${message}`;
      return out;
    }
    const { parsed: mp, checked: mc } = message;
    if (mc.type.k !== 'string') {
      out.messageError = 'messageExpression must evaluate to a string';
      return out;
    }
    out.messageProgram = plan(celEnvironment(), mp) as Program;
    out.messageMaxCost = mc.cost;
  }
  if (rule.fieldPath !== '') {
    const p = validFieldPath(rule.fieldPath, s);
    if (p !== undefined) out.normalizedFieldPath = p.path;
  }
  return out;
}

/** ValidFieldPath resolves a rule's fieldPath (`.spec.x`, `['a.b']`) against the schema (cel.ValidFieldPath). */
export function validFieldPath(
  jsonPath: string,
  schema: Structural,
  allowArrayNotation = true,
): { path: string; schema: Structural } | undefined {
  const tokens: string[] = [];
  let i = 0;
  while (i < jsonPath.length) {
    const c = jsonPath[i] ?? '';
    if (c === '.' || c === '[' || c === ']') {
      tokens.push(c);
      i++;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      while (j < jsonPath.length && !(jsonPath[j] === "'" && jsonPath[j - 1] !== '\\')) j++;
      tokens.push(jsonPath.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < jsonPath.length && !['.', '[', ']'].includes(jsonPath[j] ?? '')) j++;
    tokens.push(jsonPath.slice(i, j));
    i = j;
  }
  let path = '';
  let cur: Structural | undefined = schema;
  const append = (name: string): boolean => {
    if (cur === undefined) return false;
    if (cur.properties !== undefined) {
      const next = cur.properties.get(name);
      if (next === undefined) return false;
      path = child(path, name);
      cur = next;
      return true;
    }
    if (cur.additionalProperties !== undefined) {
      path = key(path, name);
      cur = cur.additionalProperties.schema;
      return true;
    }
    return false;
  };
  for (let t = 0; t < tokens.length; t++) {
    const tok = tokens[t];
    if (tok === '[') {
      if (!allowArrayNotation) return undefined;
      const lit = tokens[++t] ?? '';
      if (lit.length < 2 || !lit.startsWith("'") || !lit.endsWith("'")) return undefined;
      const unescaped = lit
        .slice(1, -1)
        .replace(
          /\\(.)/g,
          (_m, ch: string) => ({ a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', "'": "'", '\\': '\\' })[ch] ?? `\\${ch}`,
        );
      if (!append(unescaped)) return undefined;
      if (tokens[++t] !== ']') return undefined;
    } else if (tok === '.') {
      const name = tokens[++t];
      if (name === undefined || !append(name)) return undefined;
    } else return undefined;
  }
  if (cur === undefined) return undefined;
  return { path, schema: cur };
}

// ---------------------------------------------------------------------------------------------
// Values: unstructured JSON → CEL input, typed by the schema.

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toTimestamp(s: string, dateOnly: boolean): CelInput {
  if (dateOnly ? !isDate(s) : !isDateTime(s)) throw new Error(`invalid ${dateOnly ? 'date' : 'date-time'} ${JSON.stringify(s)}`);
  const ms = Date.parse(dateOnly ? `${s}T00:00:00Z` : s.replace(/z$/i, 'Z'));
  const frac = /\.(\d+)/.exec(dateOnly ? '' : s)?.[1] ?? '';
  const nanos = Number(`${frac}000000000`.slice(0, 9));
  const seconds = BigInt(Math.floor(ms / 1000));
  return create(TimestampSchema, { seconds, nanos }) as unknown as CelInput;
}

function toDuration(s: string): CelInput {
  const ns = parseGoDuration(s);
  if (ns === undefined) throw new Error(`invalid duration ${JSON.stringify(s)}`);
  const seconds = BigInt(Math.trunc(ns / 1e9));
  const nanos = Math.round(ns - Number(seconds) * 1e9);
  return create(DurationSchema, { seconds, nanos }) as unknown as CelInput;
}

function generic(v: unknown, depth: number): CelInput {
  if (depth > 10_000) throw new Error('value nested too deeply');
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 9.2e18 ? BigInt(v) : v;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map((x) => generic(x, depth + 1));
  const m = new Map<string, CelInput>();
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) m.set(k, generic(x, depth + 1));
  return m as unknown as CelInput;
}

/** ToCel converts a decoded JSON value to a CEL value of the given declared type. */
export function toCel(v: unknown, t: DeclType | undefined, depth = 0): CelInput {
  if (v === null || v === undefined) return null;
  if (t === undefined) return generic(v, depth);
  switch (t.kind) {
    case 'object': {
      if (!isRecord(v)) return generic(v, depth);
      const m = new Map<string, CelInput>();
      for (const [name, f] of t.fields ?? []) {
        if (Object.hasOwn(v, f.name)) m.set(name, toCel(v[f.name], f.type, depth + 1));
      }
      return m as unknown as CelInput;
    }
    case 'map': {
      if (!isRecord(v)) return generic(v, depth);
      const m = new Map<string, CelInput>();
      for (const [k, x] of Object.entries(v)) m.set(k, toCel(x, t.elem, depth + 1));
      return m as unknown as CelInput;
    }
    case 'list':
      return Array.isArray(v) ? v.map((x) => toCel(x, t.elem, depth + 1)) : generic(v, depth);
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : generic(v, depth);
    case 'double':
      return typeof v === 'number' ? v : generic(v, depth);
    case 'bytes':
      return typeof v === 'string' ? new Uint8Array(Buffer.from(v, 'base64')) : generic(v, depth);
    case 'timestamp':
      return typeof v === 'string' ? toTimestamp(v, t.format === 'date') : generic(v, depth);
    case 'duration':
      return typeof v === 'string' ? toDuration(v) : generic(v, depth);
    default:
      return generic(v, depth);
  }
}

// ---------------------------------------------------------------------------------------------
// The validator tree (cel/validation.go)

/** CelValidator evaluates the x-kubernetes-validations of a schema against an object. */
export interface CelValidator {
  validate(obj: unknown, old: unknown): FieldError[];
}

interface Node {
  schema: Structural;
  decl: DeclType;
  rules: CompiledRule[];
  compilationError: string | undefined;
  items: Node | undefined;
  properties: Map<string, Node> | undefined;
  additionalProperties: Node | undefined;
  allOf: Node[];
}

function hasValidations(s: Structural | undefined, depth = 0): boolean {
  if (s === undefined || depth > 1000) return false;
  if (s.validations.length > 0) return true;
  if (hasValidations(s.items, depth + 1)) return true;
  if (hasValidations(s.additionalProperties?.schema, depth + 1)) return true;
  if (s.properties !== undefined) for (const p of s.properties.values()) if (hasValidations(p, depth + 1)) return true;
  return s.value.allOf.some((a) => a.validations.length > 0);
}

function buildNode(validation: Structural, node: Structural, isResourceRoot: boolean, decl: DeclType | undefined): Node | undefined {
  let rules: CompiledRule[] = [];
  let compilationError: string | undefined;
  if (validation.validations.length > 0) {
    if (decl === undefined) compilationError = 'failed to convert to declType for CEL validation rules';
    else rules = compileRules(node, validation.validations, decl);
  }
  const items =
    validation.items !== undefined && node.items !== undefined
      ? buildNode(validation.items, node.items, node.items.extensions.embeddedResource, decl?.elem)
      : undefined;
  let properties: Map<string, Node> | undefined;
  if (validation.properties !== undefined && validation.properties.size > 0) {
    properties = new Map();
    for (const [k, vp] of validation.properties) {
      const np = node.properties?.get(k);
      if (np === undefined) continue;
      const esc = escapeIdent(k);
      let fieldType: DeclType | undefined;
      if (esc !== undefined) {
        if (decl === undefined) continue;
        fieldType = decl.fields?.get(esc)?.type;
        if (fieldType === undefined) continue;
      } else {
        fieldType = schemaDeclType(np, np.extensions.embeddedResource);
        if (fieldType === undefined) continue;
      }
      const n = buildNode(vp, np, np.extensions.embeddedResource, fieldType);
      if (n !== undefined) properties.set(k, n);
    }
  }
  const vap = validation.additionalProperties?.schema;
  const nap = node.additionalProperties?.schema;
  const additionalProperties =
    vap !== undefined && nap !== undefined ? buildNode(vap, nap, nap.extensions.embeddedResource, decl?.elem) : undefined;
  const allOf: Node[] = [];
  for (const a of validation.value.allOf) {
    if (a.validations.length === 0) continue;
    const fake: Structural = {
      ...node,
      validations: a.validations,
      items: undefined,
      properties: undefined,
      additionalProperties: undefined,
    };
    const n = buildNode(fake, node, isResourceRoot, decl);
    if (n !== undefined) allOf.push(n);
  }
  if (
    rules.length === 0 &&
    compilationError === undefined &&
    items === undefined &&
    additionalProperties === undefined &&
    (properties === undefined || properties.size === 0) &&
    allOf.length === 0
  ) {
    return undefined;
  }
  return {
    schema: node,
    decl: decl ?? { kind: 'dyn', maxElements: 0, minSerializedSize: 1 },
    rules,
    compilationError,
    items,
    properties,
    additionalProperties,
    allOf,
  };
}

/** CompileCelValidator builds the validator for a structural schema, or undefined when it has no rules. */
export function compileCelValidator(s: Structural, isResourceRoot: boolean): CelValidator | undefined {
  if (!hasValidations(s)) return undefined;
  const root = buildNode(s, s, isResourceRoot, schemaDeclType(s, isResourceRoot));
  if (root === undefined) return undefined;
  return {
    validate(obj: unknown, old: unknown): FieldError[] {
      return validateNode(root, '<nil>', obj, old, { current: old === undefined ? undefined : { old, new: obj }, parent: undefined });
    },
  };
}

interface Corr {
  old: unknown;
  new: unknown;
  equal?: boolean;
}

interface Ratchet {
  current: Corr | undefined;
  parent: Corr | undefined;
}

function corrEqual(c: Corr | undefined): boolean {
  if (c === undefined) return false;
  c.equal ??= deepEqualJSON(c.new, c.old);
  return c.equal;
}

function shouldRatchet(r: Ratchet): boolean {
  return r.current !== undefined ? corrEqual(r.current) : corrEqual(r.parent);
}

function keyRatchet(r: Ratchet, k: string, rootLevel: boolean): Ratchet {
  if (r.current === undefined) return r;
  if (rootLevel && (k === 'apiVersion' || k === 'kind')) return { current: undefined, parent: undefined };
  const o = r.current.old;
  const n = r.current.new;
  const child = isRecord(o) && isRecord(n) && Object.hasOwn(o, k) && Object.hasOwn(n, k) ? { old: o[k], new: n[k] } : undefined;
  return { current: child, parent: r.current };
}

/** PathChild appends a child to a path that may be Go's nil path (`<nil>`). */
function pathChild(path: string, name: string): string {
  return path === '<nil>' ? name : child(path, name);
}
function pathKey(path: string, k: string): string {
  return path === '<nil>' ? `[${k}]` : key(path, k);
}
function pathIndex(path: string, i: number): string {
  return path === '<nil>' ? `[${i}]` : index(path, i);
}

function validateNode(n: Node, path: string, obj: unknown, old: unknown, r: Ratchet): FieldError[] {
  if (obj === null || obj === undefined) return [];
  const errs = validateExpressions(n, path, obj, old, r);
  for (const a of n.allOf) errs.push(...validateExpressions(a, path, obj, old, { current: undefined, parent: r.parent }));
  if (Array.isArray(obj)) {
    if (n.items !== undefined) {
      const keys = n.schema.extensions.listType === 'map' ? (n.schema.extensions.listMapKeys ?? []) : undefined;
      const oldList = Array.isArray(old) ? old : [];
      obj.forEach((item, i) => {
        const oldItem = keys === undefined ? undefined : findByKeys(oldList, item, keys);
        const childR: Ratchet =
          r.current === undefined ? r : { current: oldItem === undefined ? undefined : { old: oldItem, new: item }, parent: r.current };
        errs.push(...validateNode(n.items as Node, pathIndex(path, i), item, oldItem, childR));
      });
    }
  } else if (isRecord(obj)) {
    const oldMap = isRecord(old) ? old : undefined;
    const rootLevel = path === '<nil>';
    if (n.additionalProperties !== undefined) {
      for (const [k, v] of Object.entries(obj)) {
        errs.push(...validateNode(n.additionalProperties, pathKey(path, k), v, oldMap?.[k], keyRatchet(r, k, rootLevel)));
      }
    }
    if (n.properties !== undefined) {
      for (const [k, v] of Object.entries(obj)) {
        const sub = n.properties.get(k);
        if (sub !== undefined) errs.push(...validateNode(sub, pathChild(path, k), v, oldMap?.[k], keyRatchet(r, k, rootLevel)));
      }
    }
  }
  return errs;
}

function findByKeys(list: unknown[], item: unknown, keys: string[]): unknown {
  if (!isRecord(item)) return undefined;
  for (const o of list) {
    if (!isRecord(o)) continue;
    if (keys.every((k) => deepEqualJSON(o[k], item[k]))) return o;
  }
  return undefined;
}

function ruleErrorString(rule: ValidationRule): string {
  return rule.message !== '' ? rule.message.trim() : rule.rule.trim();
}

function ruleMessageOrDefault(rule: ValidationRule): string {
  return rule.message === '' ? `failed rule: ${ruleErrorString(rule)}` : rule.message.trim();
}

/** CelErrorText maps @bufbuild/cel runtime error texts to cel-go's. */
function celErrorText(message: string): string {
  const noField = /^field not found: (.*)$/.exec(message);
  if (noField !== null) return `no such key: ${noField[1] ?? ''}`;
  const oob = /^index (-?\d+) out of bounds/.exec(message);
  if (oob !== null) return `index out of bounds: ${oob[1] ?? ''}`;
  if (message.startsWith('found no matching overload')) return `no such overload: ${message}`;
  return message;
}

function fieldErrorForReason(path: string, value: unknown, detail: string, reason: string | undefined): FieldError {
  switch (reason) {
    case 'FieldValueForbidden':
      return forbidden(path, detail);
    case 'FieldValueRequired':
      return required(path, detail);
    case 'FieldValueDuplicate':
      return duplicate(path, value);
    default:
      return invalid(path, value, detail);
  }
}

function validateExpressions(n: Node, path: string, obj: unknown, old: unknown, r: Ratchet): FieldError[] {
  const errs: FieldError[] = [];
  const type = n.schema.generic.type;
  if (n.compilationError !== undefined) return [invalid(path, type, `rule compiler initialization error: ${n.compilationError}`)];
  if (n.rules.length === 0) return [];
  let self: CelInput;
  let oldSelf: CelInput | undefined;
  try {
    self = toCel(obj, n.decl);
    oldSelf = old === undefined || old === null ? undefined : toCel(old, n.decl);
  } catch (e) {
    return [invalid(path, type, e instanceof Error ? e.message : String(e))];
  }
  for (const c of n.rules) {
    const rule = c.rule;
    if (c.error !== undefined) {
      errs.push(invalid(path, type, `rule compile error: ${c.error}`));
      continue;
    }
    if (c.program === undefined) continue;
    const optional = rule.optionalOldSelf === true;
    if (c.usesOldSelf && oldSelf === undefined && !optional) continue;
    const vars: Record<string, CelInput> = { self };
    if (optional) vars.oldSelf = optionalOf(oldSelf as CelValue | undefined) as unknown as CelInput;
    else if (oldSelf !== undefined) vars.oldSelf = oldSelf;
    const result = evaluate(c.program, vars);
    if (isCelError(result) || result instanceof Error) {
      const msg = celErrorText((result as Error).message);
      if (msg.startsWith('no such overload')) {
        errs.push(
          invalid(
            path,
            type,
            `'${msg}': call arguments did not match a supported operator, function or macro signature for rule: ${ruleErrorString(rule)}`,
          ),
        );
      } else errs.push(invalid(path, type, `${msg} evaluating rule: ${ruleErrorString(rule)}`));
      continue;
    }
    if (result === true) continue;
    const fieldPath = c.normalizedFieldPath === '' ? path : pathChild(path, c.normalizedFieldPath);
    const addErr = (e: FieldError): void => {
      if (!c.usesOldSelf && shouldRatchet(r)) return;
      errs.push(e);
    };
    let detail: string | undefined;
    if (c.messageProgram !== undefined) {
      const m = evaluate(c.messageProgram, vars);
      if (typeof m === 'string') {
        const trimmed = m.trim();
        if (trimmed !== '' && !trimmed.includes('\n') && new TextEncoder().encode(trimmed).length <= maxMessageExpressionBytes)
          detail = trimmed;
      }
    }
    detail ??= ruleMessageOrDefault(rule);
    const value = type === 'object' || type === 'array' ? OmitValue : obj;
    addErr(fieldErrorForReason(fieldPath, value, detail, rule.reason));
  }
  return errs;
}

function evaluate(p: Program, vars: Record<string, CelInput>): unknown {
  try {
    return p(vars);
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

// ---------------------------------------------------------------------------------------------
// CRD-time checks (validation.go: compile errors, cost limits, oldSelf correlatability)

/** CostErrorMessage is getCostErrorMessage. */
export function costErrorMessage(costName: string, cost: number, limit: number): string {
  const f = cost / limit;
  let factorText: string;
  if (f > 100) factorText = 'more than 100x';
  else if (f < 1.5) factorText = `${f.toFixed(6)}x`;
  else factorText = `${f.toFixed(1)}x`;
  return `${costName} exceeds budget by factor of ${factorText} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`;
}

/** InternalCompileError is exposed for CRD validation of unconvertible schemas. */
export function internalCompileError(path: string, detail: string): FieldError {
  return internalError(path, detail);
}

/** RuleTypeString is exposed for diagnostics. */
export { typeString };
