/**
 * A small evaluator for the client-go JSONPath subset CRD printer columns and selectable fields
 * use: `.a.b`, `.a['b.c']`, `.a[0]`, `.a[-1]`, `.a[*]`, `.a[?(@.type=="Ready")].status`
 * (with ==, !=, <, >, <=, >= against strings, numbers and booleans), and `..` is not supported.
 */

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'filter'; path: string[]; op: string; value: unknown };

export class JsonPathError extends Error {}

/** CompileJsonPath parses a path (with or without surrounding `{}`) into steps. */
export function compileJsonPath(expr: string): Step[] {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  if (s.startsWith('$')) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '.') {
      if (s[i + 1] === '.') throw new JsonPathError(`recursive descent is not supported in ${JSON.stringify(expr)}`);
      i++;
      const m = /^[A-Za-z0-9_\-$]+/.exec(s.slice(i));
      if (m === null) {
        if (s[i] === '[' || i >= s.length) continue;
        throw new JsonPathError(`unexpected ${JSON.stringify(s[i])} in ${JSON.stringify(expr)}`);
      }
      steps.push({ kind: 'field', name: m[0] });
      i += m[0].length;
    } else if (c === '[') {
      const end = findClose(s, i);
      const inner = s.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === '*') steps.push({ kind: 'wildcard' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$/.test(inner) || /^".*"$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')')) steps.push(parseFilter(inner.slice(2, -1), expr));
      else throw new JsonPathError(`unsupported subscript [${inner}] in ${JSON.stringify(expr)}`);
    } else if (c === ' ') i++;
    else {
      const m = /^[A-Za-z0-9_\-$]+/.exec(s.slice(i));
      if (m === null || steps.length > 0) throw new JsonPathError(`unexpected ${JSON.stringify(c)} in ${JSON.stringify(expr)}`);
      steps.push({ kind: 'field', name: m[0] });
      i += m[0].length;
    }
  }
  return steps;
}

function findClose(s: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let j = open; j < s.length; j++) {
    const c = s[j] as string;
    if (quote !== '') {
      if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']') {
      depth--;
      if (depth === 0) return j;
    }
  }
  throw new JsonPathError(`unclosed [ in ${JSON.stringify(s)}`);
}

function parseFilter(body: string, expr: string): Step {
  const m = /^@((?:\.[A-Za-z0-9_\-$]+)+)\s*(==|!=|<=|>=|<|>)\s*(.+)$/.exec(body.trim());
  if (m === null) {
    const exists = /^@((?:\.[A-Za-z0-9_\-$]+)+)$/.exec(body.trim());
    if (exists !== null) return { kind: 'filter', path: (exists[1] as string).slice(1).split('.'), op: 'exists', value: undefined };
    throw new JsonPathError(`unsupported filter ?(${body}) in ${JSON.stringify(expr)}`);
  }
  const raw = (m[3] as string).trim();
  let value: unknown;
  if (/^".*"$/.test(raw) || /^'.*'$/.test(raw)) value = raw.slice(1, -1);
  else if (raw === 'true' || raw === 'false') value = raw === 'true';
  else if (/^-?\d+(\.\d+)?$/.test(raw)) value = Number(raw);
  else throw new JsonPathError(`unsupported filter value ${raw} in ${JSON.stringify(expr)}`);
  return { kind: 'filter', path: (m[1] as string).slice(1).split('.'), op: m[2] as string, value };
}

/** EvalJsonPath returns every value the path selects (missing keys select nothing). */
export function evalJsonPath(steps: Step[], root: unknown): unknown[] {
  let cur: unknown[] = [root];
  for (const st of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      switch (st.kind) {
        case 'field':
          if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.hasOwn(v, st.name))
            next.push((v as Record<string, unknown>)[st.name]);
          break;
        case 'index':
          if (Array.isArray(v)) {
            const idx = st.index < 0 ? v.length + st.index : st.index;
            if (idx >= 0 && idx < v.length) next.push(v[idx]);
          }
          break;
        case 'wildcard':
          if (Array.isArray(v)) next.push(...v);
          else if (typeof v === 'object' && v !== null) next.push(...Object.values(v));
          break;
        case 'filter':
          if (Array.isArray(v)) for (const item of v) if (filterMatches(item, st)) next.push(item);
          break;
      }
    }
    cur = next;
  }
  return cur;
}

function filterMatches(item: unknown, st: Extract<Step, { kind: 'filter' }>): boolean {
  let v: unknown = item;
  for (const p of st.path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, p)) return false;
    v = (v as Record<string, unknown>)[p];
  }
  switch (st.op) {
    case 'exists':
      return true;
    case '==':
      return v === st.value;
    case '!=':
      return v !== st.value;
    default: {
      if (typeof v !== 'number' || typeof st.value !== 'number') return false;
      if (st.op === '<') return v < st.value;
      if (st.op === '>') return v > st.value;
      if (st.op === '<=') return v <= st.value;
      return v >= st.value;
    }
  }
}

/** PrintJsonPathValue prints one result the way client-go's JSONPath text printer does. */
export function printJsonPathValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return '';
  return JSON.stringify(v);
}
