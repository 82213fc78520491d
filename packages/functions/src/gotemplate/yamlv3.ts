/**
 * A YAML encoder that writes what gopkg.in/yaml.v3's Marshal writes for JSON-like values (the
 * `toYaml` helper of function-go-templating): 4-space indentation, map keys in yaml.v3's natural
 * order, strings quoted only when they would read back as something else (single quotes when
 * possible, double otherwise), literal blocks for multi-line strings, floats in Go's %g form.
 */
import { formatFloat } from '../gofmt/strconv.ts';
import { GoInt, isGoMap } from '../gofmt/values.ts';

const OLD_BOOL = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);
const BASE60 = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const TIMESTAMP = /^\d{4}-\d\d?-\d\d?(?:(?:[Tt]|[ \t]+)\d\d?:\d\d:\d\d(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d\d?(?::\d\d)?))?)?$/;

/** ResolvesToString reports whether a plain scalar would read back as a string (yaml.v3 resolve). */
function resolvesToString(s: string): boolean {
  if (s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return false;
  if (['true', 'True', 'TRUE', 'false', 'False', 'FALSE'].includes(s)) return false;
  if (['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF', '.nan', '.NaN', '.NAN'].includes(s)) return false;
  if (s === '<<') return false;
  const first = s[0] ?? '';
  if ('+-.0123456789'.includes(first)) {
    if (YAML_FLOAT.test(s)) return false;
    const plain = s.replace(/_/g, '');
    if (/^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)$/.test(plain)) return false;
    if (TIMESTAMP.test(s)) return false;
  }
  return true;
}

function isPrintable(cp: number): boolean {
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    cp === 0x85 ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** PlainAllowed is the emitter's analysis for block context plain scalars. */
function plainAllowed(s: string, isKey: boolean): { plain: boolean; single: boolean } {
  if (s === '') return { plain: false, single: true };
  if (s.startsWith('---') || s.startsWith('...')) return { plain: false, single: true };
  let _flowIndicators = false;
  let blockIndicators = false;
  let special = false;
  let leadingSpace = false;
  let trailingSpace = false;
  let spaceBreak = false;
  const chars = [...s];
  chars.forEach((ch, i) => {
    const cp = ch.codePointAt(0) ?? 0;
    const next = chars[i + 1];
    const followedByBlank = next === undefined || next === ' ' || next === '\t' || next === '\n';
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) {
        _flowIndicators = true;
        blockIndicators = true;
      }
      if (ch === '?' || ch === ':') {
        _flowIndicators = true;
        if (followedByBlank) blockIndicators = true;
      }
      if (ch === '-' && followedByBlank) {
        _flowIndicators = true;
        blockIndicators = true;
      }
    } else {
      if (',?[]{}'.includes(ch)) _flowIndicators = true;
      if (ch === ':') {
        _flowIndicators = true;
        if (followedByBlank) blockIndicators = true;
      }
      if (ch === '#' && (chars[i - 1] === ' ' || chars[i - 1] === '\t')) {
        _flowIndicators = true;
        blockIndicators = true;
      }
    }
    if (!isPrintable(cp) || (cp > 0x7f && false)) special = true;
    if (ch === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
    }
    if (ch === '\n') spaceBreak = true;
  });
  if (special) return { plain: false, single: false };
  let plain = !(leadingSpace || trailingSpace || spaceBreak || blockIndicators);
  if (isKey && plain && s.length > 1024) plain = false;
  return { plain, single: !special };
}

function doubleQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\0':
        out += '\\0';
        continue;
      default:
        break;
    }
    if (!isPrintable(cp)) {
      if (cp <= 0xff) out += `\\x${cp.toString(16).toUpperCase().padStart(2, '0')}`;
      else if (cp <= 0xffff) out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
      else out += `\\U${cp.toString(16).toUpperCase().padStart(8, '0')}`;
      continue;
    }
    out += ch;
  }
  return `${out}"`;
}

function scalarString(s: string, isKey: boolean): string {
  const canUsePlain = resolvesToString(s) && !BASE60.test(s) && !OLD_BOOL.has(s);
  if (!canUsePlain) return doubleQuote(s);
  const a = plainAllowed(s, isKey);
  if (a.plain) return s;
  if (a.single) return `'${s.replace(/'/g, "''")}'`;
  return doubleQuote(s);
}

function literalBlock(s: string, indent: number): string {
  let chomp = '-';
  if (s.endsWith('\n')) chomp = s.endsWith('\n\n') || s === '\n' ? '+' : '';
  const indicator = s.startsWith(' ') || s.startsWith('\n') ? '4' : '';
  const body = chomp === '' || chomp === '+' ? s.replace(/\n$/, '') : s;
  const pad = ' '.repeat(indent);
  const lines = body.split('\n').map((l) => (l === '' ? '' : pad + l));
  return `|${indicator}${chomp}\n${lines.join('\n')}`;
}

/** NaturalLess is yaml.v3's keyList.Less for string keys (digit runs compare numerically). */
function naturalLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = /\p{L}/u.test(ar[i] ?? '');
    const bl = /\p{L}/u.test(br[i] ?? '');
    if (al && bl) return (ar[i] ?? '') < (br[i] ?? '');
    if (al || bl) {
      if (i > 0 && /\d/.test(ar[i - 1] ?? '')) return !al;
      return al;
    }
    let an = 0;
    let bn = 0;
    const ad = /\d/.test(ar[i] ?? '');
    const bd = /\d/.test(br[i] ?? '');
    if (ad && bd) {
      let j = i;
      while (j < ar.length && /\d/.test(ar[j] ?? '')) an = an * 10 + Number(ar[j++]);
      let k = i;
      while (k < br.length && /\d/.test(br[k] ?? '')) bn = bn * 10 + Number(br[k++]);
      if (an !== bn) return an < bn;
      if (j !== k) return j < k;
      continue;
    }
    return (ar[i] ?? '') < (br[i] ?? '');
  }
  return ar.length < br.length;
}

function scalar(v: unknown): string | undefined {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return undefined;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (Number.isNaN(v)) return '.nan';
      if (v === Number.POSITIVE_INFINITY) return '.inf';
      if (v === Number.NEGATIVE_INFINITY) return '-.inf';
      return formatFloat(v, 'g', -1);
    case 'bigint':
      return v.toString();
    default:
      break;
  }
  if (v instanceof GoInt) return v.value.toString();
  if (v instanceof Uint8Array) return scalarString(Buffer.from(v).toString('utf8'), false);
  return undefined;
}

function encode(v: unknown, indent: number, out: string[], inSeq: boolean): void {
  // `out` receives the text following "key:" or "- " (the caller has written those).
  if (typeof v === 'string') {
    out.push(v.includes('\n') ? ` ${literalBlock(v, indent)}` : ` ${scalarString(v, false)}`);
    return;
  }
  const sc = scalar(v);
  if (sc !== undefined) {
    out.push(` ${sc}`);
    return;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) {
      out.push(' []');
      return;
    }
    const pad = ' '.repeat(indent);
    for (const item of v) {
      out.push(`\n${pad}-`);
      encodeSeqItem(item, indent, out);
    }
    return;
  }
  if (isGoMap(v)) {
    const keys = Object.keys(v).sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
    if (keys.length === 0) {
      out.push(' {}');
      return;
    }
    const pad = ' '.repeat(indent);
    keys.forEach((k, i) => {
      if (!(inSeq && i === 0)) out.push(`\n${pad}`);
      out.push(`${scalarString(k, true)}:`);
      encodeValue(v[k], indent, out);
    });
    return;
  }
  out.push(` ${String(v)}`);
}

function encodeValue(v: unknown, indent: number, out: string[]): void {
  if ((Array.isArray(v) && v.length > 0) || (isGoMap(v) && Object.keys(v).length > 0)) {
    encode(v, indent + 4, out, false);
    return;
  }
  if (typeof v === 'string' && v.includes('\n')) {
    out.push(` ${literalBlock(v, indent + 4)}`);
    return;
  }
  encode(v, indent + 4, out, false);
}

function encodeSeqItem(item: unknown, indent: number, out: string[]): void {
  if (isGoMap(item) && Object.keys(item).length > 0) {
    out.push(' ');
    encode(item, indent + 2, out, true);
    return;
  }
  if (Array.isArray(item) && item.length > 0) {
    // nested sequences: "- - x"
    const inner: string[] = [];
    encode(item, indent + 2, inner, false);
    const text = inner.join('');
    out.push(` ${text.replace(/^\n\s*/, '')}`);
    return;
  }
  if (typeof item === 'string' && item.includes('\n')) {
    out.push(` ${literalBlock(item, indent + 2)}`);
    return;
  }
  encode(item, indent + 2, out, false);
}

/** MarshalYamlV3 returns what yaml.v3's Marshal returns for a JSON-like value. */
export function marshalYamlV3(v: unknown): string {
  const out: string[] = [];
  if ((isGoMap(v) && Object.keys(v).length > 0) || (Array.isArray(v) && v.length > 0)) {
    encode(v, 0, out, false);
    return `${out.join('').replace(/^\n/, '')}\n`;
  }
  if (typeof v === 'string' && v.includes('\n')) return `${literalBlock(v, 4)}\n`;
  encode(v, 0, out, false);
  return `${out.join('').replace(/^ /, '')}\n`;
}
