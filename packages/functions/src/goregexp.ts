/**
 * Go's regexp package (RE2 syntax, linear-time matching, Go's error messages) on top of re2js,
 * a JavaScript port of RE2. Backtracking-free matching makes hostile patterns such as `(a+)+b`
 * harmless. The helpers reproduce Go's match iteration rules (empty matches next to a previous
 * match are skipped) and its `$1` / `${name}` replacement templates.
 */
import { RE2JS } from 're2js';

const cache = new Map<string, { re?: RE2JS; error?: string }>();
const CACHE_MAX = 512;

/** CompileGoRegexp compiles a Go regexp; the error text is Go's (`error parsing regexp: ...`). */
export function compileGoRegexp(src: string): { re?: RE2JS; error?: string } {
  const hit = cache.get(src);
  if (hit) return hit;
  let out: { re?: RE2JS; error?: string };
  try {
    out = { re: RE2JS.compile(src) };
  } catch (e) {
    out = { error: e instanceof Error ? e.message : String(e) };
  }
  if (cache.size >= CACHE_MAX) {
    const first = cache.keys().next().value;
    if (first !== undefined) cache.delete(first);
  }
  cache.set(src, out);
  return out;
}

/** MustCompile compiles or throws an Error with Go's message. */
export function mustCompile(src: string): RE2JS {
  const r = compileGoRegexp(src);
  if (r.re === undefined) throw new Error(r.error ?? 'cannot compile regexp');
  return r.re;
}

export function matchString(re: RE2JS, s: string): boolean {
  return re.matcher(s).find();
}

/** Loc is a match: [start, end] of group 0, then each group (-1 when it did not participate). */
type Loc = number[];

function execAt(re: RE2JS, s: string, pos: number): Loc | undefined {
  const m = re.matcher(s);
  if (!m.find(pos)) return undefined;
  const loc: Loc = [];
  for (let g = 0; g <= m.groupCount(); g++) {
    const st = m.start(g);
    loc.push(st, st < 0 ? -1 : m.end(g));
  }
  return loc;
}

function runeWidth(s: string, pos: number): number {
  if (pos >= s.length) return 0;
  const c = s.charCodeAt(pos);
  return c >= 0xd800 && c <= 0xdbff && pos + 1 < s.length ? 2 : 1;
}

/** AllMatches is Go's Regexp.allMatches: up to n (n < 0: all) non-overlapping matches. */
function allMatches(re: RE2JS, s: string, n: number): Loc[] {
  const out: Loc[] = [];
  const end = s.length;
  let pos = 0;
  let prevMatchEnd = -1;
  while ((n < 0 || out.length < n) && pos <= end) {
    const m = execAt(re, s, pos);
    if (m === undefined) break;
    let accept = true;
    const m0 = m[0] ?? 0;
    const m1 = m[1] ?? 0;
    if (m1 === pos) {
      if (m0 === prevMatchEnd) accept = false;
      const w = runeWidth(s, pos);
      pos += w > 0 ? w : end + 1;
    } else {
      pos = m1;
    }
    prevMatchEnd = m1;
    if (accept) out.push(m);
  }
  return out;
}

/** FindStringSubmatch is Go's: the match and its groups ("" for groups that did not take part). */
export function findStringSubmatch(re: RE2JS, s: string): string[] | undefined {
  const m = execAt(re, s, 0);
  if (m === undefined) return undefined;
  const out: string[] = [];
  for (let i = 0; i < m.length; i += 2) {
    const a = m[i] ?? -1;
    out.push(a < 0 ? '' : s.slice(a, m[i + 1]));
  }
  return out;
}

export function findString(re: RE2JS, s: string): string {
  const m = execAt(re, s, 0);
  return m === undefined ? '' : s.slice(m[0], m[1]);
}

export function findAllString(re: RE2JS, s: string, n: number): string[] {
  return allMatches(re, s, n).map((m) => s.slice(m[0], m[1]));
}

/** Split is Go's Regexp.Split. */
export function split(re: RE2JS, s: string, n: number): string[] {
  if (n === 0) return [];
  if (re.pattern() !== '' && s === '') return [''];
  const matches = allMatches(re, s, n);
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of matches) {
    if (n > 0 && out.length === n - 1) break;
    end = m[0] ?? 0;
    if ((m[1] ?? 0) === 0) continue;
    out.push(s.slice(beg, end));
    beg = m[1] ?? 0;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}

function extractName(str: string): { name: string; num: number; rest: string } | undefined {
  if (str === '') return undefined;
  let brace = false;
  let t = str;
  if (t[0] === '{') {
    brace = true;
    t = t.slice(1);
  }
  let i = 0;
  for (const ch of t) {
    if (!/[\p{L}\p{Nd}_]/u.test(ch)) break;
    i += ch.length;
  }
  if (i === 0) return undefined;
  const name = t.slice(0, i);
  if (brace) {
    if (i >= t.length || t[i] !== '}') return undefined;
    i++;
  }
  let num = 0;
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    if (c < 48 || c > 57 || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + (c - 48);
  }
  if (name[0] === '0' && name.length > 1) num = -1;
  return { name, num, rest: t.slice(i) };
}

function expand(re: RE2JS, template: string, src: string, m: Loc): string {
  let dst = '';
  let t = template;
  const names = namedGroups(re);
  for (;;) {
    const k = t.indexOf('$');
    if (k < 0) break;
    dst += t.slice(0, k);
    t = t.slice(k + 1);
    if (t !== '' && t[0] === '$') {
      dst += '$';
      t = t.slice(1);
      continue;
    }
    const ex = extractName(t);
    if (ex === undefined) {
      dst += '$';
      continue;
    }
    t = ex.rest;
    let idx = ex.num;
    if (idx < 0) idx = names[ex.name] ?? -1;
    if (idx >= 0 && 2 * idx + 1 < m.length && (m[2 * idx] ?? -1) >= 0) dst += src.slice(m[2 * idx], m[2 * idx + 1]);
  }
  return dst + t;
}

function namedGroups(re: RE2JS): Record<string, number> {
  const g = (re as unknown as { namedGroups?: () => Record<string, number> }).namedGroups;
  return typeof g === 'function' ? g.call(re) : {};
}

/** ReplaceAllString is Go's Regexp.ReplaceAllString (with `$1`/`${name}` expansion). */
export function replaceAllString(re: RE2JS, src: string, repl: string, literal = false): string {
  let dst = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  const end = src.length;
  while (searchPos <= end) {
    const a = execAt(re, src, searchPos);
    if (a === undefined) break;
    const a0 = a[0] ?? 0;
    const a1 = a[1] ?? 0;
    dst += src.slice(lastMatchEnd, a0);
    if (a1 > lastMatchEnd || a0 === 0) dst += literal ? repl : expand(re, repl, src, a);
    lastMatchEnd = a1;
    const width = runeWidth(src, searchPos);
    if (searchPos + width > a1) searchPos += width;
    else if (searchPos + 1 > a1) searchPos++;
    else searchPos = a1;
  }
  return dst + src.slice(lastMatchEnd);
}
