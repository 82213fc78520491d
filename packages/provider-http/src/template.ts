import { TrellisError } from '@trellis/sdk';
import { HttpCode } from './errors.ts';

/**
 * Templates of a mapping. A string containing `{{ path }}` is rendered against a context object
 * (`spec`, `metadata`, `externalName`, `now`, ...). A path is dotted (`spec.forProvider.name`);
 * `a ?? b` falls back to `b` when `a` is not set. A string that is exactly one placeholder keeps
 * the value's type (a number, a list, an object) and, when unset, removes its key from the
 * enclosing object; a placeholder inside other text is interpolated and must be set. No code is
 * ever evaluated.
 */
export type TemplateContext = Readonly<Record<string, unknown>>;

const whole = /^\{\{\s*([^{}]+?)\s*\}\}$/;
const inner = /\{\{\s*([^{}]+?)\s*\}\}/g;
const pathRe = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;

function lookup(ctx: TemplateContext, path: string): unknown {
  let cur: unknown = ctx;
  for (const seg of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/** EvalExpr evaluates `path (?? path)*` against the context. */
export function evalExpr(expr: string, ctx: TemplateContext): unknown {
  for (const alt of expr.split('??')) {
    const p = alt.trim();
    if (!pathRe.test(p)) throw new TrellisError(HttpCode.InvalidMapping, `template expression "${expr}" is not a dotted path`);
    const v = lookup(ctx, p);
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

function scalarText(v: unknown, where: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new TrellisError(HttpCode.InvalidMapping, `${where} must be a string, number or boolean`);
}

/** RenderString interpolates every placeholder of a string; `encode` escapes each value (for URLs). */
export function renderString(tpl: string, ctx: TemplateContext, encode: (s: string) => string = (s) => s): string {
  return tpl.replace(inner, (_m, expr: string) => {
    const v = evalExpr(expr, ctx);
    if (v === undefined || v === null || v === '') {
      throw new TrellisError(HttpCode.InvalidMapping, `template "${tpl}" needs "${expr.trim()}", which is not set`, {
        details: { retry: 'never', field: expr.trim() },
      });
    }
    return encode(scalarText(v, `"${expr.trim()}" in template "${tpl}"`));
  });
}

/** RenderValue renders a JSON template (objects, arrays, strings) against the context. */
export function renderValue(tpl: unknown, ctx: TemplateContext): unknown {
  if (typeof tpl === 'string') {
    const m = whole.exec(tpl);
    if (m !== null) return evalExpr(m[1] ?? '', ctx);
    return tpl.includes('{{') ? renderString(tpl, ctx) : tpl;
  }
  if (Array.isArray(tpl)) return tpl.map((x) => renderValue(x, ctx)).filter((x) => x !== undefined);
  if (typeof tpl === 'object' && tpl !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(tpl)) {
      const r = renderValue(v, ctx);
      if (r !== undefined) out[k] = r;
    }
    return out;
  }
  return tpl;
}

/** RenderUrl renders a URL template whose placeholders are escaped as path or query components. */
export function renderUrl(tpl: string, ctx: TemplateContext): string {
  return renderString(tpl, ctx, encodeURIComponent);
}
