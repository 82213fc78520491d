/**
 * Go text/template execution (a port of text/template/exec.go) over the Go value model of
 * gofmt/values.ts. `NO_VALUE` stands for Go's invalid reflect.Value (a missing map key), which
 * prints as `<no value>`; JSON null is a nil interface. Errors read as Go's:
 * `template: manifests:3:7: executing "manifests" at <.x.y>: ...`.
 */
import { GoError } from '../errors.ts';
import { sprint, sprintf } from '../gofmt/sprintf.ts';
import { GoInt, goInt, goTypeName, intValue, isGoMap, isUnsignedKind } from '../gofmt/values.ts';
import {
  type ArgNode,
  type CommandNode,
  type ListNode,
  type Node,
  nodeString,
  type ParsedTemplate,
  type PipeNode,
  parseTemplates,
} from './parse.ts';

export const NO_VALUE: unique symbol = Symbol('no value');
export type Value = unknown;

/** Param kinds of template functions (how Go converts arguments to the parameter type). */
export type ParamKind = 'any' | 'value' | 'string' | 'int' | 'int64' | 'float64' | 'bool' | 'map' | 'slice' | 'strings';

export interface TemplateFunc {
  params: ParamKind[];
  /** The kind of each variadic argument, when the last parameter is variadic. */
  variadic?: ParamKind;
  fn: (...args: never[]) => unknown;
}

export class ExecError extends GoError {}

/** Thrown by functions to report `error calling X: <msg>`. */
export class FuncError extends Error {}

class BreakSignal {}
class ContinueSignal {}

const MAX_EXEC_DEPTH = 100000;

export interface TemplateSet {
  templates: Map<string, ParsedTemplate>;
  funcs: Record<string, TemplateFunc>;
  missingKey: 'default' | 'zero' | 'error';
}

export function newTemplateSet(name: string, text: string, funcs: Record<string, TemplateFunc>, delims?: [string, string]): TemplateSet {
  const names = new Set([...Object.keys(funcs), ...BUILTIN_NAMES]);
  return { templates: parseTemplates(name, text, names, delims), funcs, missingKey: 'default' };
}

const BUILTIN_NAMES = [
  'and',
  'call',
  'html',
  'index',
  'slice',
  'js',
  'len',
  'not',
  'or',
  'print',
  'printf',
  'println',
  'urlquery',
  'eq',
  'ge',
  'gt',
  'le',
  'lt',
  'ne',
];

interface Variable {
  name: string;
  value: Value;
}

class State {
  readonly set: TemplateSet;
  tmpl: ParsedTemplate;
  out: string[] = [];
  outLen = 0;
  readonly maxOutput: number;
  vars: Variable[] = [];
  depth = 0;
  node: { pos: number } | undefined;

  constructor(set: TemplateSet, tmpl: ParsedTemplate, maxOutput: number) {
    this.set = set;
    this.tmpl = tmpl;
    this.maxOutput = maxOutput;
  }

  write(s: string): void {
    this.outLen += s.length;
    if (this.outLen > this.maxOutput) this.errorf(`template output exceeds ${this.maxOutput} bytes`);
    this.out.push(s);
  }

  errorf(msg: string): never {
    const name = this.tmpl.name;
    if (this.node === undefined) throw new ExecError(`template: ${name}: ${msg}`);
    const { line, col } = location(this.tmpl.text, this.node.pos);
    const ctx = nodeString(this.node as ArgNode);
    throw new ExecError(`template: ${name}:${line}:${col}: executing "${name}" at <${ctx}>: ${msg}`);
  }

  at(n: { pos: number }): void {
    this.node = n;
  }

  push(name: string, value: Value): void {
    this.vars.push({ name, value });
  }

  mark(): number {
    return this.vars.length;
  }

  pop(mark: number): void {
    this.vars.length = mark;
  }

  setVar(name: string, value: Value): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i] as Variable;
      if (v.name === name) {
        v.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  setTopVar(n: number, value: Value): void {
    const v = this.vars[this.vars.length - n];
    if (v) v.value = value;
  }

  varValue(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i] as Variable;
      if (v.name === name) return v.value;
    }
    this.errorf(`undefined variable: ${name}`);
  }
}

function location(text: string, pos: number): { line: number; col: number } {
  const before = text.slice(0, pos);
  const line = 1 + (before.match(/\n/g)?.length ?? 0);
  const nl = before.lastIndexOf('\n');
  const col = nl < 0 ? Buffer.byteLength(before) : Buffer.byteLength(before.slice(nl + 1));
  return { line, col };
}

export interface ExecuteOptions {
  /** Maximum output size in UTF-16 code units (default 64 MiB). */
  maxOutput?: number;
}

/** Execute runs the named template of the set on `data` and returns its output. */
export function execute(set: TemplateSet, name: string, data: Value, opts: ExecuteOptions = {}): string {
  const t = set.templates.get(name);
  if (t === undefined) throw new ExecError(`template: no template "${name}" associated with template "${name}"`);
  const s = new State(set, t, opts.maxOutput ?? 64 * 1024 * 1024);
  s.push('$', data);
  try {
    walk(s, data, t.root);
  } catch (e) {
    throw stackGuard(e, name);
  }
  return s.out.join('');
}

/** StackGuard turns a JavaScript stack overflow (deep template recursion) into a template error. */
function stackGuard(e: unknown, name: string): unknown {
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return new ExecError(
      `template: ${name}: exceeded maximum template depth (the JavaScript stack ran out before Go's limit of ${MAX_EXEC_DEPTH})`,
    );
  }
  return e;
}

/** ExecuteInto runs a named template with the state of an include call (shares limits). */
export function executeNamed(set: TemplateSet, name: string, data: Value, depth: number, maxOutput: number): string {
  const t = set.templates.get(name);
  if (t === undefined) throw new ExecError(`template: no template "${name}" associated with template "manifests"`);
  const s = new State(set, t, maxOutput);
  s.depth = depth;
  s.push('$', data);
  walk(s, data, t.root);
  return s.out.join('');
}

function walk(s: State, dot: Value, node: Node): void {
  s.at(node);
  switch (node.kind) {
    case 'action': {
      const val = evalPipeline(s, dot, node.pipe);
      if (node.pipe.decl.length === 0) printValue(s, node, val);
      return;
    }
    case 'break':
      throw new BreakSignal();
    case 'continue':
      throw new ContinueSignal();
    case 'comment':
      return;
    case 'if':
    case 'with':
      walkIfOrWith(s, node.kind, dot, node.pipe, node.list, node.elseList);
      return;
    case 'list':
      for (const n of node.nodes) walk(s, dot, n);
      return;
    case 'range':
      walkRange(s, dot, node);
      return;
    case 'template':
      walkTemplate(s, dot, node);
      return;
    case 'text':
      s.write(node.text);
      return;
  }
}

function walkIfOrWith(s: State, kind: 'if' | 'with', dot: Value, pipe: PipeNode, list: ListNode, elseList: ListNode | undefined): void {
  const mark = s.mark();
  try {
    const val = evalPipeline(s, dot, pipe);
    const { truth, ok } = isTrue(indirectInterface(val));
    if (!ok) s.errorf(`if/with can't use ${printable(val)}`);
    if (truth) {
      if (kind === 'with') walk(s, val, list);
      else walk(s, dot, list);
    } else if (elseList !== undefined) {
      walk(s, dot, elseList);
    }
  } finally {
    s.pop(mark);
  }
}

function printable(v: Value): string {
  return v === NO_VALUE ? '<invalid reflect.Value>' : sprint(v);
}

/** IsTrue is Go's template truth: false, 0, "", nil and empty collections are false. */
export function isTrue(v: Value): { truth: boolean; ok: boolean } {
  if (v === NO_VALUE || v === null || v === undefined) return { truth: false, ok: true };
  switch (typeof v) {
    case 'boolean':
      return { truth: v, ok: true };
    case 'number':
      return { truth: v !== 0, ok: true };
    case 'bigint':
      return { truth: v !== 0n, ok: true };
    case 'string':
      return { truth: v.length > 0, ok: true };
    case 'function':
      return { truth: true, ok: true };
    default:
      break;
  }
  if (v instanceof GoInt) return { truth: v.value !== 0n, ok: true };
  if (v instanceof Uint8Array) return { truth: v.length > 0, ok: true };
  if (Array.isArray(v)) return { truth: v.length > 0, ok: true };
  if (isGoMap(v)) return { truth: Object.keys(v).length > 0, ok: true };
  return { truth: true, ok: true };
}

function walkRange(s: State, dot: Value, r: Extract<Node, { kind: 'range' }>): void {
  s.at(r);
  const mark = s.mark();
  try {
    const val = indirectInterface(evalPipeline(s, dot, r.pipe));
    const mark2 = s.mark();
    const decl = r.pipe.decl;
    const oneIteration = (index: Value, elem: Value): boolean => {
      if (decl.length > 0) {
        if (r.pipe.isAssign) s.setVar(decl[0]?.ident[0] ?? '', decl.length > 1 ? index : elem);
        else s.setTopVar(1, elem);
      }
      if (decl.length > 1) {
        if (r.pipe.isAssign) s.setVar(decl[1]?.ident[0] ?? '', elem);
        else s.setTopVar(2, index);
      }
      try {
        walk(s, elem, r.list);
      } catch (e) {
        if (e instanceof BreakSignal) return false;
        if (!(e instanceof ContinueSignal)) throw e;
      } finally {
        s.pop(mark2);
      }
      return true;
    };
    if (val === NO_VALUE || val === null || val === undefined) {
      if (r.elseList) walk(s, dot, r.elseList);
      return;
    }
    if (Array.isArray(val) || val instanceof Uint8Array) {
      const arr = Array.isArray(val) ? val : Array.from(val, (b) => new GoInt('uint8', BigInt(b)));
      if (arr.length === 0) {
        if (r.elseList) walk(s, dot, r.elseList);
        return;
      }
      for (let i = 0; i < arr.length; i++) if (!oneIteration(goInt(i), arr[i])) break;
      return;
    }
    if (isGoMap(val)) {
      const keys = Object.keys(val).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      if (keys.length === 0) {
        if (r.elseList) walk(s, dot, r.elseList);
        return;
      }
      for (const k of keys) if (!oneIteration(k, val[k])) break;
      return;
    }
    if (typeof val === 'bigint' || val instanceof GoInt) {
      if (r.pipe.decl.length > 1) s.errorf(`can't use ${sprint(val)} to iterate over more than one variable`);
      const n = intValue(val);
      const kind = val instanceof GoInt ? val.kind : 'int64';
      if (n <= 0n && r.elseList) walk(s, dot, r.elseList);
      for (let i = 0n; i < n; i++) if (!oneIteration(new GoInt(kind, i), new GoInt(kind, i))) break;
      return;
    }
    s.errorf(`range can't iterate over ${sprint(val)}`);
  } finally {
    s.pop(mark);
  }
}

function walkTemplate(s: State, dot: Value, t: Extract<Node, { kind: 'template' }>): void {
  s.at(t);
  const tmpl = s.set.templates.get(t.name);
  if (tmpl === undefined) s.errorf(`template ${JSON.stringify(t.name)} not defined`);
  if (s.depth >= MAX_EXEC_DEPTH) s.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH})`);
  const newDot = t.pipe === undefined ? dot : evalPipeline(s, dot, t.pipe);
  const saved = { tmpl: s.tmpl, vars: s.vars, depth: s.depth };
  s.tmpl = tmpl;
  s.vars = [{ name: '$', value: newDot }];
  s.depth++;
  try {
    walk(s, newDot, tmpl.root);
  } finally {
    s.tmpl = saved.tmpl;
    s.vars = saved.vars;
    s.depth = saved.depth;
  }
}

function evalPipeline(s: State, dot: Value, pipe: PipeNode): Value {
  s.at(pipe);
  let value: Value = NO_VALUE;
  let first = true;
  for (const cmd of pipe.cmds) {
    value = evalCommand(s, dot, cmd, first ? NO_VALUE : value, !first);
    first = false;
    // An interface value is dug into: a nil interface becomes an invalid value.
    if (value === null || value === undefined) value = NO_VALUE;
  }
  for (const v of pipe.decl) {
    if (pipe.isAssign) s.setVar(v.ident[0] ?? '', value);
    else s.push(v.ident[0] ?? '', value);
  }
  return value;
}

function notAFunction(s: State, args: ArgNode[], _final: Value, hasFinal: boolean): void {
  if (args.length > 1 || hasFinal) s.errorf(`can't give argument to non-function ${nodeString(args[0] as ArgNode)}`);
}

function evalCommand(s: State, dot: Value, cmd: CommandNode, final: Value, hasFinal: boolean): Value {
  const first = cmd.args[0] as ArgNode;
  switch (first.kind) {
    case 'field':
      return evalFieldNode(s, dot, first, cmd.args, final, hasFinal);
    case 'chain':
      return evalChainNode(s, dot, first, cmd.args, final, hasFinal);
    case 'identifier':
      return evalFunction(s, dot, first, cmd, cmd.args, final, hasFinal);
    case 'pipe':
      notAFunction(s, cmd.args, final, hasFinal);
      return evalPipeline(s, dot, first);
    case 'variable':
      return evalVariableNode(s, dot, first, cmd.args, final, hasFinal);
    default:
      break;
  }
  s.at(first);
  notAFunction(s, cmd.args, final, hasFinal);
  switch (first.kind) {
    case 'bool':
      return first.value;
    case 'dot':
      return dot;
    case 'nil':
      s.errorf('nil is not a command');
      break;
    case 'number':
      return idealConstant(s, first);
    case 'string':
      return first.text;
    default:
      break;
  }
  s.errorf(`can't evaluate command ${JSON.stringify(nodeString(first))}`);
}

function idealConstant(s: State, n: Extract<ArgNode, { kind: 'number' }>): Value {
  s.at(n);
  if (n.isFloat && !/^[+-]?0[xX]/.test(n.text) && !n.text.startsWith("'") && /[.eEpP]/.test(n.text)) return n.float;
  if (n.isInt) {
    if (n.int < -(2n ** 63n) || n.int >= 2n ** 63n) s.errorf(`${n.text} overflows int`);
    return goInt(n.int);
  }
  return n.float;
}

function evalFieldNode(
  s: State,
  dot: Value,
  field: Extract<ArgNode, { kind: 'field' }>,
  args: ArgNode[],
  final: Value,
  hasFinal: boolean,
): Value {
  s.at(field);
  return evalFieldChain(s, dot, dot, field, field.ident, args, final, hasFinal);
}

function evalChainNode(
  s: State,
  dot: Value,
  chain: Extract<ArgNode, { kind: 'chain' }>,
  args: ArgNode[],
  final: Value,
  hasFinal: boolean,
): Value {
  s.at(chain);
  if (chain.field.length === 0) s.errorf('internal error: no fields in evalChainNode');
  if (chain.node.kind === 'nil') s.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
  const pipe = evalArg(s, dot, 'any', chain.node, true);
  return evalFieldChain(s, dot, pipe, chain, chain.field, args, final, hasFinal);
}

function evalVariableNode(
  s: State,
  dot: Value,
  v: Extract<ArgNode, { kind: 'variable' }>,
  args: ArgNode[],
  final: Value,
  hasFinal: boolean,
): Value {
  s.at(v);
  const value = s.varValue(v.ident[0] ?? '');
  if (v.ident.length === 1) {
    notAFunction(s, args, final, hasFinal);
    return value;
  }
  return evalFieldChain(s, dot, value, v, v.ident.slice(1), args, final, hasFinal);
}

function evalFieldChain(
  s: State,
  dot: Value,
  receiver: Value,
  node: ArgNode,
  ident: string[],
  args: ArgNode[],
  final: Value,
  hasFinal: boolean,
): Value {
  const n = ident.length;
  let r = receiver;
  for (let i = 0; i < n - 1; i++) r = evalField(s, dot, ident[i] ?? '', node, [], NO_VALUE, false, r);
  return evalField(s, dot, ident[n - 1] ?? '', node, args, final, hasFinal, r);
}

function evalField(
  s: State,
  _dot: Value,
  fieldName: string,
  node: ArgNode,
  args: ArgNode[],
  _final: Value,
  hasFinal: boolean,
  receiver: Value,
): Value {
  if (receiver === NO_VALUE) {
    if (s.set.missingKey === 'error') s.errorf(`nil data; no entry for key ${JSON.stringify(fieldName)}`);
    return NO_VALUE;
  }
  if (receiver === null || receiver === undefined) s.errorf(`nil pointer evaluating interface {}.${fieldName}`);
  if (isGoMap(receiver)) {
    const hasArgs = args.length > 1 || hasFinal;
    if (hasArgs) s.errorf(`${fieldName} is not a method but has arguments`);
    if (!Object.hasOwn(receiver, fieldName)) {
      switch (s.set.missingKey) {
        case 'zero':
          return null;
        case 'error':
          s.errorf(`map has no entry for key ${JSON.stringify(fieldName)}`);
          break;
        default:
          return NO_VALUE;
      }
    }
    return receiver[fieldName];
  }
  void node;
  s.errorf(
    `can't evaluate field ${fieldName} in type ${goTypeName(receiver) === 'string' || typeof receiver !== 'object' ? 'interface {}' : 'interface {}'}`,
  );
}

function evalFunction(
  s: State,
  dot: Value,
  node: Extract<ArgNode, { kind: 'identifier' }>,
  cmd: CommandNode,
  args: ArgNode[],
  final: Value,
  hasFinal: boolean,
): Value {
  s.at(node);
  const name = node.ident;
  const builtin = BUILTINS[name];
  const f = s.set.funcs[name] ?? builtin;
  if (f === undefined) s.errorf(`${JSON.stringify(name)} is not a defined function`);
  return evalCall(s, dot, f, builtin !== undefined && s.set.funcs[name] === undefined, cmd, name, args, final, hasFinal);
}

function evalCall(
  s: State,
  dot: Value,
  f: TemplateFunc,
  isBuiltin: boolean,
  node: CommandNode,
  name: string,
  args: ArgNode[],
  final: Value,
  hasFinal: boolean,
): Value {
  const rest = args.slice(1);
  // and/or short-circuit
  if (isBuiltin && (name === 'and' || name === 'or')) {
    const all = [...rest];
    if (all.length === 0 && !hasFinal) s.errorf(`wrong number of args for ${name}: want at least 1 got 0`);
    let v: Value = NO_VALUE;
    for (const a of all) {
      v = evalArg(s, dot, 'value', a);
      const t = isTrue(indirectInterface(v)).truth;
      if (name === 'and' ? !t : t) return v;
    }
    if (hasFinal) return final;
    return v;
  }
  const numIn = rest.length + (hasFinal ? 1 : 0);
  const fixed = f.params.length;
  if (f.variadic !== undefined) {
    if (numIn < fixed) s.errorf(`wrong number of args for ${name}: want at least ${fixed} got ${numIn}`);
  } else if (numIn !== fixed) {
    s.errorf(`wrong number of args for ${name}: want ${fixed} got ${numIn}`);
  }
  const argv: Value[] = [];
  let i = 0;
  for (; i < fixed && i < rest.length; i++) argv.push(evalArg(s, dot, f.params[i] as ParamKind, rest[i] as ArgNode));
  if (f.variadic !== undefined) for (; i < rest.length; i++) argv.push(evalArg(s, dot, f.variadic, rest[i] as ArgNode));
  if (hasFinal) {
    const t = i < fixed ? (f.params[i] as ParamKind) : (f.variadic ?? 'any');
    argv.push(validateType(s, final, t));
  }
  s.at(node);
  try {
    return (f.fn as (...a: Value[]) => unknown)(...argv);
  } catch (e) {
    if (e instanceof ExecError) throw e;
    // a stack overflow unwinds to execute(), which reports it once
    if (e instanceof RangeError && /call stack/i.test(e.message)) throw e;
    s.at(node);
    s.errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function constantError(s: State, want: ParamKind, n: ArgNode): never {
  const found = nodeString(n);
  switch (want) {
    case 'string':
    case 'strings':
      s.errorf(`expected string; found ${found}`);
      break;
    case 'int':
    case 'int64':
      s.errorf(`expected integer; found ${found}`);
      break;
    case 'float64':
      s.errorf(`expected float; found ${found}`);
      break;
    case 'bool':
      s.errorf(`expected bool; found ${found}`);
      break;
    default:
      s.errorf(`can't handle ${found} for arg of type ${kindTypeName(want)}`);
  }
}

function kindTypeName(k: ParamKind): string {
  switch (k) {
    case 'map':
      return 'map[string]interface {}';
    case 'slice':
      return '[]interface {}';
    case 'strings':
      return 'string';
    case 'value':
      return 'reflect.Value';
    case 'any':
      return 'interface {}';
    default:
      return k;
  }
}

function evalArg(s: State, dot: Value, want: ParamKind, n: ArgNode, raw = false): Value {
  s.at(n);
  switch (n.kind) {
    case 'dot':
      return raw ? dot : validateType(s, dot, want);
    case 'nil':
      if (want === 'any' || want === 'map' || want === 'slice') return null;
      if (want === 'value') return null;
      s.errorf(`cannot assign nil to ${kindTypeName(want)}`);
      break;
    case 'field': {
      const v = evalFieldNode(s, dot, n, [n], NO_VALUE, false);
      return raw ? v : validateType(s, v, want);
    }
    case 'variable': {
      const v = evalVariableNode(s, dot, n, [], NO_VALUE, false);
      return raw ? v : validateType(s, v, want);
    }
    case 'pipe': {
      const v = evalPipeline(s, dot, n);
      return raw ? v : validateType(s, v, want);
    }
    case 'identifier': {
      const v = evalFunction(s, dot, n, { kind: 'command', pos: n.pos, args: [n] }, [n], NO_VALUE, false);
      return raw ? v : validateType(s, v, want);
    }
    case 'chain': {
      const v = evalChainNode(s, dot, n, [], NO_VALUE, false);
      return raw ? v : validateType(s, v, want);
    }
    default:
      break;
  }
  // constants
  switch (want) {
    case 'any':
    case 'value':
      if (n.kind === 'bool') return n.value;
      if (n.kind === 'string') return n.text;
      if (n.kind === 'number') return idealConstant(s, n);
      break;
    case 'bool':
      if (n.kind === 'bool') return n.value;
      break;
    case 'string':
    case 'strings':
      if (n.kind === 'string') return n.text;
      break;
    case 'int':
    case 'int64':
      if (n.kind === 'number' && n.isInt) return want === 'int' ? goInt(n.int) : n.int;
      break;
    case 'float64':
      if (n.kind === 'number' && n.isFloat) return n.float;
      break;
    default:
      break;
  }
  constantError(s, want, n);
}

function validateType(s: State, v: Value, want: ParamKind): Value {
  if (want === 'value') return v;
  if (v === NO_VALUE) {
    if (want === 'any') return null;
    if (want === 'map' || want === 'slice') return null;
    s.errorf(`invalid value; expected ${kindTypeName(want)}`);
  }
  const got = goTypeName(v) ?? 'interface {}';
  const fail = (): never => s.errorf(`wrong type for value; expected ${kindTypeName(want)}; got ${got}`);
  switch (want) {
    case 'any':
      return v;
    case 'string':
    case 'strings':
      return typeof v === 'string' ? v : fail();
    case 'int':
      return v instanceof GoInt && v.kind === 'int' ? v : fail();
    case 'int64':
      return typeof v === 'bigint' ? v : fail();
    case 'float64':
      return typeof v === 'number' ? v : fail();
    case 'bool':
      return typeof v === 'boolean' ? v : fail();
    case 'map':
      return isGoMap(v) ? v : fail();
    case 'slice':
      return Array.isArray(v) ? v : fail();
  }
}

function printValue(s: State, node: { pos: number }, v: Value): void {
  s.at(node);
  if (v === NO_VALUE || v === null || v === undefined) {
    s.write('<no value>');
    return;
  }
  if (typeof v === 'function') s.errorf(`can't print ${nodeString(node as ArgNode)} of type func`);
  s.write(sprint(v));
}

/** IndirectInterface unwraps a nil interface to an invalid value, as Go's does. */
function indirectInterface(v: Value): Value {
  return v === null || v === undefined ? NO_VALUE : v;
}

// ---- builtins ------------------------------------------------------------------------------

type Kind = 'invalid' | 'bool' | 'int' | 'uint' | 'float' | 'string' | 'other';

function basicKind(v: Value): Kind {
  if (v === NO_VALUE || v === null || v === undefined) return 'invalid';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'string';
    default:
      break;
  }
  if (v instanceof GoInt) return isUnsignedKind(v) ? 'uint' : 'int';
  return 'other';
}

function typeOfForError(v: Value): string {
  return goTypeName(v === NO_VALUE ? null : v) ?? '<nil>';
}

function eq(arg1: Value, ...arg2: Value[]): boolean {
  const a = indirectInterface(arg1);
  if (arg2.length === 0) throw new FuncError('missing argument for comparison');
  const k1 = basicKind(a);
  for (const raw of arg2) {
    const b = indirectInterface(raw);
    const k2 = basicKind(b);
    let truth = false;
    if (k1 !== k2) {
      if (k1 === 'int' && k2 === 'uint')
        truth = intValue(a as bigint | GoInt) >= 0n && intValue(a as bigint | GoInt) === intValue(b as GoInt);
      else if (k1 === 'uint' && k2 === 'int')
        truth = intValue(b as bigint | GoInt) >= 0n && intValue(a as GoInt) === intValue(b as bigint | GoInt);
      else if (a !== NO_VALUE && b !== NO_VALUE)
        throw new FuncError(`incompatible types for comparison: ${typeOfForError(a)} and ${typeOfForError(b)}`);
    } else {
      switch (k1) {
        case 'bool':
        case 'float':
        case 'string':
          truth = a === b;
          break;
        case 'int':
        case 'uint':
          truth = intValue(a as bigint | GoInt) === intValue(b as bigint | GoInt);
          break;
        case 'invalid':
          truth = true;
          break;
        default:
          if (Array.isArray(a) || isGoMap(a)) throw new FuncError(`non-comparable type ${sprint(a)}: ${goTypeName(a)}`);
          truth = a === b;
      }
    }
    if (truth) return true;
  }
  return false;
}

function lt(arg1: Value, arg2: Value): boolean {
  const a = indirectInterface(arg1);
  const b = indirectInterface(arg2);
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'invalid' || k1 === 'other' || k2 === 'invalid' || k2 === 'other') throw new FuncError('invalid type for comparison');
  if (k1 !== k2) {
    if (k1 === 'int' && k2 === 'uint') return intValue(a as bigint) < 0n || intValue(a as bigint) < intValue(b as GoInt);
    if (k1 === 'uint' && k2 === 'int') return intValue(b as bigint) >= 0n && intValue(a as GoInt) < intValue(b as bigint);
    throw new FuncError(`incompatible types for comparison: ${typeOfForError(a)} and ${typeOfForError(b)}`);
  }
  switch (k1) {
    case 'bool':
      throw new FuncError('invalid type for comparison');
    case 'float':
      return (a as number) < (b as number);
    case 'string':
      return Buffer.compare(Buffer.from(a as string), Buffer.from(b as string)) < 0;
    default:
      return intValue(a as bigint | GoInt) < intValue(b as bigint | GoInt);
  }
}

function le(a: Value, b: Value): boolean {
  return lt(a, b) || eq(a, b);
}

function length(v: Value): GoInt {
  if (v === NO_VALUE) throw new FuncError('reflect: call of reflect.Value.Type on zero Value');
  if (v === null || v === undefined) throw new FuncError('len of nil pointer');
  if (typeof v === 'string') return goInt(Buffer.byteLength(v));
  if (Array.isArray(v) || v instanceof Uint8Array) return goInt(v.length);
  if (isGoMap(v)) return goInt(Object.keys(v).length);
  throw new FuncError(`len of type ${goTypeName(v)}`);
}

function indexArg(v: Value, cap: number): number {
  if (typeof v === 'bigint' || v instanceof GoInt) {
    const x = intValue(v);
    if (x < 0n || x > BigInt(cap)) throw new FuncError(`index out of range: ${x}`);
    return Number(x);
  }
  if (v === NO_VALUE || v === null) throw new FuncError('cannot index slice/array with nil');
  throw new FuncError(`cannot index slice/array with type ${goTypeName(v)}`);
}

function index(item: Value, ...indexes: Value[]): Value {
  let it = indirectInterface(item);
  if (it === NO_VALUE) throw new FuncError('index of untyped nil');
  for (const raw of indexes) {
    const idx = indirectInterface(raw);
    if (typeof it === 'string' || Array.isArray(it) || it instanceof Uint8Array) {
      const len = typeof it === 'string' ? Buffer.byteLength(it) : it.length;
      const x = indexArg(idx, len - 1);
      if (x >= len) throw new FuncError(`index out of range: ${x}`);
      if (typeof it === 'string') it = new GoInt('uint8', BigInt(Buffer.from(it)[x] ?? 0));
      else if (it instanceof Uint8Array) it = new GoInt('uint8', BigInt(it[x] ?? 0));
      else it = it[x];
    } else if (isGoMap(it)) {
      if (typeof idx !== 'string') {
        if (idx === NO_VALUE) throw new FuncError('value is nil; should be of type string');
        throw new FuncError(`value has type ${goTypeName(idx)}; should be string`);
      }
      it = Object.hasOwn(it, idx) ? it[idx] : null;
    } else if (it === null || it === undefined) {
      throw new FuncError('index of untyped nil');
    } else {
      throw new FuncError(`can't index item of type ${goTypeName(it)}`);
    }
    it = it === undefined ? null : it;
  }
  return it;
}

function slice(item: Value, ...indexes: Value[]): Value {
  const it = indirectInterface(item);
  if (it === NO_VALUE) throw new FuncError('slice of untyped nil');
  if (indexes.length > 3) throw new FuncError(`too many slice indexes: ${indexes.length}`);
  let cap: number;
  if (typeof it === 'string') {
    if (indexes.length === 3) throw new FuncError('cannot 3-index slice a string');
    cap = Buffer.byteLength(it);
  } else if (Array.isArray(it)) {
    cap = it.length;
  } else {
    throw new FuncError(`can't slice item of type ${goTypeName(it)}`);
  }
  const idx = [0, cap];
  indexes.forEach((x, i) => {
    idx[i] = indexArg(indirectInterface(x), cap);
  });
  const a = idx[0] ?? 0;
  const b = idx[1] ?? cap;
  if (a > b) throw new FuncError(`invalid slice index: ${a} > ${b}`);
  if (typeof it === 'string') return Buffer.from(it).subarray(a, b).toString('utf8');
  return it.slice(a, b);
}

const BUILTINS: Record<string, TemplateFunc> = {
  and: { params: [], variadic: 'value', fn: () => null },
  or: { params: [], variadic: 'value', fn: () => null },
  not: { params: ['value'], fn: ((v: Value) => !isTrue(indirectInterface(v)).truth) as never },
  len: { params: ['value'], fn: length as never },
  index: { params: ['value'], variadic: 'value', fn: index as never },
  slice: { params: ['value'], variadic: 'value', fn: slice as never },
  eq: { params: ['value'], variadic: 'value', fn: eq as never },
  ne: { params: ['value', 'value'], fn: ((a: Value, b: Value) => !eq(a, b)) as never },
  lt: { params: ['value', 'value'], fn: lt as never },
  le: { params: ['value', 'value'], fn: le as never },
  gt: { params: ['value', 'value'], fn: ((a: Value, b: Value) => !le(a, b)) as never },
  ge: { params: ['value', 'value'], fn: ((a: Value, b: Value) => !lt(a, b)) as never },
  print: { params: [], variadic: 'any', fn: ((...a: Value[]) => sprint(...a)) as never },
  printf: { params: ['string'], variadic: 'any', fn: sprintf as never },
  println: { params: [], variadic: 'any', fn: ((...a: Value[]) => `${a.map((x) => sprint(x)).join(' ')}\n`) as never },
  html: { params: [], variadic: 'any', fn: ((...a: Value[]) => htmlEscape(evalArgs(a))) as never },
  js: { params: [], variadic: 'any', fn: ((...a: Value[]) => jsEscape(evalArgs(a))) as never },
  urlquery: { params: [], variadic: 'any', fn: ((...a: Value[]) => encodeURIComponent(evalArgs(a)).replace(/%20/g, '+')) as never },
  call: {
    params: ['value'],
    variadic: 'value',
    fn: ((f: Value, ...args: Value[]) => {
      if (typeof f !== 'function') throw new FuncError(`non-function of type ${goTypeName(f === NO_VALUE ? null : f) ?? '<nil>'}`);
      return (f as (...a: Value[]) => Value)(...args);
    }) as never,
  },
};

function evalArgs(a: Value[]): string {
  if (a.length === 1 && typeof a[0] === 'string') return a[0];
  return sprint(...a);
}

function htmlEscape(s: string): string {
  return s.replace(/[&'<>"\0]/g, (c) => ({ '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '"': '&#34;', '\0': '\uFFFD' })[c] ?? c);
}

function jsEscape(s: string): string {
  return s.replace(/[\\'"<>&=\n\r\t]/g, (c) => {
    const map: Record<string, string> = {
      '\\': '\\\\',
      "'": "\\'",
      '"': '\\"',
      '<': '\\u003C',
      '>': '\\u003E',
      '&': '\\u0026',
      '=': '\\u003D',
      '\n': '\\n',
      '\r': '\\r',
      '\t': '\\t',
    };
    return map[c] ?? c;
  });
}

export { BUILTINS, eq, isTrue as templateTruth };
