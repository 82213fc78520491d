// YAML request bodies that begin with a JSON value, read as kube-apiserver reads them.
//
// kube-apiserver converts YAML bodies with sigs.k8s.io/yaml, which unmarshals with go-yaml v2:
// only the first node of the first document is decoded, and the scanner reads past that node only
// as far as it must to finish its tokens. So `{...}junk`, `{...}}` or `{...}\n---\nfoo: [` are
// accepted as the object `{...}`, while `{...} : x` (the object becomes a mapping key),
// `{...}@` (a character that cannot start a token) or `{...}"open` (an unterminated quoted
// scalar) are refused. The `yaml` package refuses all of them; leadingJsonNode reproduces
// go-yaml's scanner closely enough for what can follow a JSON value (the fuzz suite in
// test/fuzz/apiserver-body.test.ts compares the outcome with kube-apiserver).

import { isUtf8 } from 'node:buffer';
import { parse, parseAllDocuments } from 'yaml';

/** The outcome for a body: its first node, or the scanner error go-yaml reports. */
export type LeadingNode = { ok: true; value: unknown; json: string } | { ok: false; message: string };

const nonPrintable = /[^\t\n\r\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * YamlReaderProblem is what go-yaml's reader refuses before any parsing: bytes that are not UTF-8
 * and characters YAML does not allow (controls, U+FFFE/U+FFFF). The `yaml` package decodes such
 * bodies (replacing bad bytes with U+FFFD), so the server checks first, as kube-apiserver does.
 */
export function yamlReaderProblem(body: Buffer): string | undefined {
  if (!isUtf8(body)) return utf8Problem(body);
  return nonPrintable.test(body.toString('utf8')) ? 'control characters are not allowed' : undefined;
}

function utf8Problem(b: Buffer): string {
  for (let i = 0; i < b.length; ) {
    const c = b[i] as number;
    const width = (c & 0x80) === 0 ? 1 : (c & 0xe0) === 0xc0 ? 2 : (c & 0xf0) === 0xe0 ? 3 : (c & 0xf8) === 0xf0 ? 4 : 0;
    if (width === 0) return 'invalid leading UTF-8 octet';
    if (i + width > b.length) return 'incomplete UTF-8 octet sequence';
    for (let k = 1; k < width; k++) if (((b[i + k] as number) & 0xc0) !== 0x80) return 'invalid trailing UTF-8 octet';
    i += width;
  }
  return 'invalid length of a UTF-8 sequence';
}

/**
 * FirstYamlDocument parses a YAML body as go-yaml's Unmarshal does: the first document only (kube
 * ignores the rest of a stream). Errors in the first document are thrown as the `yaml` package
 * reports them.
 */
export function firstYamlDocument(text: string): unknown {
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false });
  const first = Array.isArray(docs) ? docs[0] : undefined;
  if (first === undefined) return parse(text, { uniqueKeys: true, prettyErrors: false }) as unknown;
  const err = first.errors[0];
  if (err !== undefined) throw err;
  return first.toJS() as unknown;
}

/** Simple keys become stale this many characters after their start (go-yaml's limit). */
const simpleKeyReach = 1024;

/**
 * LeadingJsonNode reads a body that begins (after blanks) with a complete JSON object or array
 * followed by more text. It returns undefined when the body is not of that shape (the caller then
 * parses it as YAML as usual).
 */
export function leadingJsonNode(text: string): LeadingNode | undefined {
  const start = text.search(/\S/);
  if (start < 0) return undefined;
  const c = text[start];
  if (c !== '{' && c !== '[') return undefined;
  const end = jsonValueEnd(text, start);
  if (end === undefined || end >= text.length) return undefined;
  let value: unknown;
  const node = text.slice(start, end);
  try {
    value = JSON.parse(node);
  } catch {
    // Not strict JSON (a raw tab in a string, say) but maybe a YAML flow collection, as go-yaml reads it.
    try {
      value = parse(node, { uniqueKeys: true, prettyErrors: false }) as unknown;
    } catch {
      return undefined;
    }
  }
  const problem = scanTrailer(text, start, end);
  return problem === undefined ? { ok: true, value, json: text.slice(start, end) } : { ok: false, message: problem };
}

/** JsonValueEnd finds the index after the bracket that closes the one at `start`. */
function jsonValueEnd(text: string, start: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}

const isBreak = (ch: string | undefined): boolean => ch === '\n' || ch === '\r';
const isBlankz = (ch: string | undefined): boolean => ch === undefined || ch === ' ' || ch === '\t' || isBreak(ch);
const flowIndicators = new Set([',', '[', ']', '{', '}']);
const hexLength: Record<string, number> = { x: 2, u: 4, U: 8 };
const simpleEscapes = new Set(['0', 'a', 'b', 't', '\t', 'n', 'v', 'f', 'r', 'e', ' ', '"', '/', '\\', 'N', '_', 'L', 'P']);

interface ScanState {
  text: string;
  pos: number;
  flow: number;
  simpleKeyAllowed: boolean;
  /** Where the pending simple key (the JSON value, or a later scalar) starts; -1 when none. */
  keyStart: number;
  keyLine: number;
  keyIsRoot: boolean;
  line: number;
  lineStart: number;
}

/**
 * ScanTrailer scans what follows the JSON value as go-yaml does: every token while the value is
 * still a possible simple key (same line, within 1,024 characters), then the next token, and the
 * tokens after it while that token is itself a pending simple key. Returns go-yaml's message for
 * the first error, or undefined.
 */
function scanTrailer(text: string, start: number, end: number): string | undefined {
  const rootOneLine = !/[\r\n]/.test(text.slice(start, end));
  const st: ScanState = {
    text,
    pos: end,
    flow: 0,
    simpleKeyAllowed: false,
    keyStart: rootOneLine ? start : -1,
    keyLine: 0,
    keyIsRoot: true,
    line: 0,
    lineStart: 0,
  };
  let fetched = 0;
  for (;;) {
    const err = skipToNextToken(st);
    if (err !== undefined) return err;
    if (st.keyStart >= 0 && (st.line !== st.keyLine || st.keyStart + simpleKeyReach < st.pos)) st.keyStart = -1;
    if (fetched > 0 && st.keyStart < 0) return undefined;
    if (st.pos >= text.length) return undefined;
    const line = st.line;
    const res = fetchToken(st, fetched);
    if (res === 'stop') return undefined;
    if (res !== undefined) return line > 0 ? `line ${line + 1}: ${res}` : res;
    fetched++;
  }
}

function skipToNextToken(st: ScanState): string | undefined {
  const t = st.text;
  for (;;) {
    const ch = t[st.pos];
    if (ch === ' ' || (ch === '\t' && (st.flow > 0 || !st.simpleKeyAllowed))) st.pos++;
    else if (ch === '#') {
      while (st.pos < t.length && !isBreak(t[st.pos])) st.pos++;
    } else if (isBreak(ch)) {
      st.pos += ch === '\r' && t[st.pos + 1] === '\n' ? 2 : 1;
      st.line++;
      st.lineStart = st.pos;
      if (st.flow === 0) st.simpleKeyAllowed = true;
    } else return undefined;
  }
}

/** SaveKey records a possible simple key at the current token when keys are allowed here. */
function saveKey(st: ScanState): void {
  if (!st.simpleKeyAllowed) return;
  st.keyStart = st.pos;
  st.keyLine = st.line;
  st.keyIsRoot = false;
}

/** FetchToken scans one token; returns an error message, 'stop' when nothing more is read, or undefined. */
function fetchToken(st: ScanState, fetched: number): string | undefined | 'stop' {
  const t = st.text;
  const ch = t[st.pos] as string;
  const next = t[st.pos + 1];
  const column = st.pos - st.lineStart;
  if (column === 0 && (t.startsWith('---', st.pos) || t.startsWith('...', st.pos)) && isBlankz(t[st.pos + 3])) return 'stop';
  if (ch === '%' && column === 0) return 'stop';
  if (ch === '[' || ch === '{') {
    saveKey(st);
    st.flow++;
    st.simpleKeyAllowed = true;
    st.pos++;
    return undefined;
  }
  if (ch === ']' || ch === '}') {
    if (st.flow > 0) st.flow--;
    st.simpleKeyAllowed = false;
    st.pos++;
    return undefined;
  }
  if (ch === ',') {
    st.simpleKeyAllowed = true;
    st.pos++;
    return undefined;
  }
  if (ch === '-' && isBlankz(next)) {
    if (st.flow === 0 && !st.simpleKeyAllowed) return 'block sequence entries are not allowed in this context';
    st.simpleKeyAllowed = true;
    st.pos++;
    return undefined;
  }
  if (ch === '?' && (st.flow > 0 || isBlankz(next))) {
    if (st.flow === 0 && !st.simpleKeyAllowed) return 'mapping keys are not allowed in this context';
    st.simpleKeyAllowed = st.flow === 0;
    st.pos++;
    return undefined;
  }
  if (ch === ':' && (st.flow > 0 || isBlankz(next))) return fetchValue(st, fetched);
  if (ch === '*' || ch === '&') return fetchAnchor(st);
  if (ch === '!') {
    saveKey(st);
    st.simpleKeyAllowed = false;
    while (st.pos < t.length && !isBlankz(t[st.pos])) st.pos++;
    return undefined;
  }
  if ((ch === '|' || ch === '>') && st.flow === 0) return 'stop';
  if (ch === "'" || ch === '"') return fetchQuoted(st, ch);
  const cannotStart = isBlankz(ch) || '-?:,[]{}#&*!|>\'"%@`'.includes(ch);
  const indicatorPlain = (ch === '-' || ((ch === '?' || ch === ':') && st.flow === 0)) && !isBlankz(next);
  if (cannotStart && !indicatorPlain) return 'found character that cannot start any token';
  return fetchPlain(st);
}

function fetchValue(st: ScanState, fetched: number): string | undefined {
  if (st.keyStart >= 0 && (st.flow === 0 || !st.keyIsRoot)) {
    // The JSON value becomes a mapping key: go-yaml's decoder refuses a map as a key, its parser
    // a key followed by more nodes.
    if (st.keyIsRoot) return fetched === 0 ? 'invalid map key: the JSON value is the key of a mapping' : 'did not find expected key';
    st.keyStart = -1;
  } else if (st.flow === 0 && !st.simpleKeyAllowed) return 'mapping values are not allowed in this context';
  st.simpleKeyAllowed = st.flow === 0;
  st.pos++;
  return undefined;
}

function fetchAnchor(st: ScanState): string | undefined {
  saveKey(st);
  st.simpleKeyAllowed = false;
  const t = st.text;
  let i = st.pos + 1;
  while (i < t.length && /[0-9A-Za-z_-]/.test(t[i] as string)) i++;
  const after = t[i];
  if (i === st.pos + 1 || !(isBlankz(after) || '?:,]}%@`'.includes(after as string)))
    return 'did not find expected alphabetic or numeric character';
  st.pos = i;
  return undefined;
}

function fetchQuoted(st: ScanState, quote: string): string | undefined {
  saveKey(st);
  st.simpleKeyAllowed = false;
  const t = st.text;
  let i = st.pos + 1;
  for (;;) {
    if (i >= t.length) return 'found unexpected end of stream';
    const ch = t[i] as string;
    if (isBreak(ch)) {
      st.line++;
      st.lineStart = i + 1;
    }
    if (quote === "'") {
      if (ch === "'" && t[i + 1] === "'") i += 2;
      else if (ch === "'") break;
      else i++;
      continue;
    }
    if (ch === '"') break;
    if (ch !== '\\') {
      i++;
      continue;
    }
    const esc = t[i + 1];
    if (esc === undefined) return 'found unexpected end of stream';
    if (isBreak(esc)) {
      i += 2;
      continue;
    }
    const hex = hexLength[esc];
    if (hex !== undefined) {
      if (!/^[0-9A-Fa-f]+$/.test(t.slice(i + 2, i + 2 + hex)) || i + 2 + hex > t.length) return 'did not find expected hexdecimal number';
      i += 2 + hex;
      continue;
    }
    if (!simpleEscapes.has(esc)) return 'found unknown escape character';
    i += 2;
  }
  st.pos = i + 1;
  return undefined;
}

function fetchPlain(st: ScanState): string | undefined {
  saveKey(st);
  st.simpleKeyAllowed = false;
  const t = st.text;
  let i = st.pos;
  for (; i < t.length; i++) {
    const ch = t[i] as string;
    if (isBreak(ch)) break;
    if (st.flow > 0 && ch === ':' && !isBlankz(t[i + 1])) return "found unexpected ':'";
    if (ch === ':' && isBlankz(t[i + 1])) break;
    if (st.flow > 0 && (flowIndicators.has(ch) || ch === '?' || ch === ':')) break;
    if (ch === '#' && i > st.pos && isBlankz(t[i - 1])) break;
  }
  st.pos = i;
  return undefined;
}
