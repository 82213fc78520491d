import type { IncomingMessage } from 'node:http';
import { badRequest, entityTooLarge, notAcceptable, REQUEST_BODY_LIMIT } from '../api/errors.ts';

/** A MediaRange is one entry of an Accept header: `type/subtype;param=value`. */
export interface MediaRange {
  type: string;
  params: Record<string, string>;
}

export function parseMediaRanges(header: string | undefined): MediaRange[] {
  if (header === undefined || header.trim() === '') return [{ type: '*/*', params: {} }];
  return header
    .split(',')
    .map((part) => {
      const [t, ...ps] = part.split(';');
      const params: Record<string, string> = {};
      for (const p of ps) {
        const i = p.indexOf('=');
        if (i > 0) params[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim();
      }
      return { type: (t ?? '').trim().toLowerCase(), params };
    })
    .filter((m) => m.type !== '');
}

/** Output is what a response should be rendered as. */
export type Output =
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'partial'; version: 'v1' | 'v1beta1' };

const JSON_TYPES = new Set(['application/json', 'application/*', '*/*', 'application/vnd.kubernetes.protobuf', 'application/cbor']);

/**
 * NegotiateOutput picks the response rendering from the Accept header as kube-apiserver does:
 * the first acceptable range wins; `as=Table` / `as=PartialObjectMetadata[List]` with
 * `g=meta.k8s.io` select the transforms; protobuf and CBOR ranges are answered with JSON only
 * when JSON is also acceptable.
 */
export function negotiateOutput(accept: string | undefined, opts: { list: boolean; allowTransforms: boolean }): Output {
  const ranges = parseMediaRanges(accept);
  for (const r of ranges) {
    const as = r.params.as;
    if (as !== undefined) {
      if (!opts.allowTransforms) continue;
      if (r.type !== 'application/json' && r.type !== 'application/yaml') continue;
      if (r.params.g !== 'meta.k8s.io') continue;
      const v = r.params.v;
      if (v !== 'v1' && v !== 'v1beta1') continue;
      if (as === 'Table') return { kind: 'table', version: v };
      if (as === 'PartialObjectMetadata' && !opts.list) return { kind: 'partial', version: v };
      if (as === 'PartialObjectMetadataList' && opts.list) return { kind: 'partial', version: v };
      continue;
    }
    if (r.type === 'application/json' || r.type === 'application/*' || r.type === '*/*') return { kind: 'json' };
    if (r.type === 'application/yaml') return { kind: 'yaml' };
  }
  // Protobuf-only (or CBOR-only) clients still get JSON when they also list JSON; otherwise 406.
  if (ranges.some((r) => JSON_TYPES.has(r.type) && r.params.as === undefined)) return { kind: 'json' };
  throw notAcceptable(
    'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf',
  );
}

/** ReadBody reads a request body, answering 413 past the limit (3 MiB, as kube-apiserver). */
export function readBody(req: IncomingMessage, limit = REQUEST_BODY_LIMIT): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    req.resume();
    return Promise.reject(entityTooLarge());
  }
  // Listeners rather than `for await`: the async iterator cost ~2% of a create's CPU.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err: unknown): void => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('close', onClose);
      // A late error (the client going away) has nobody to report to; keep it from crashing the process.
      req.removeListener('error', done);
      req.on('error', ignore);
      if (err !== undefined) reject(err);
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    };
    const onData = (b: Buffer): void => {
      size += b.length;
      if (size > limit) {
        chunks.length = 0;
        done(entityTooLarge());
        req.resume(); // drain the rest; the 413 goes out on the same connection
        return;
      }
      chunks.push(b);
    };
    const onEnd = (): void => done(undefined);
    const onClose = (): void => done(new Error('the request was closed before its body was read'));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    req.once('error', done);
  });
}

function ignore(): void {}

/** ContentType returns the request's media type without parameters, lower-cased. */
export function contentType(req: IncomingMessage): string {
  const ct = req.headers['content-type'];
  if (ct === undefined) return '';
  return (ct.split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * HasDuplicateKeys reports whether JSON text (already parsed into `value`) repeats a key within
 * one object: JSON.parse keeps one property per key, so the text has more keys than the value
 * exactly when it does. Counting skips strings with indexOf, without building paths or sets, so
 * the common case (no duplicates) costs a fraction of findDuplicateKeys.
 */
export function hasDuplicateKeys(text: string, value: unknown): boolean {
  return countTextKeys(text) !== countValueKeys(value);
}

function countTextKeys(text: string): number {
  let count = 0;
  const inObject: boolean[] = [];
  let expectKey = false;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = text.indexOf('"', i + 1);
      while (j > 0 && escaped(text, j)) j = text.indexOf('"', j + 1);
      if (j < 0) return -1; // not JSON: let the caller scan it properly
      if (expectKey) {
        count++;
        expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === 0x7b /* { */) {
      inObject.push(true);
      expectKey = true;
    } else if (c === 0x5b /* [ */) inObject.push(false);
    else if (c === 0x7d || c === 0x5d) {
      inObject.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */ && inObject[inObject.length - 1] === true) expectKey = true;
    i++;
  }
  return count;
}

/** Escaped reports whether the quote at j follows an odd number of backslashes. */
function escaped(text: string, j: number): boolean {
  let k = j - 1;
  while (k >= 0 && text.charCodeAt(k) === 0x5c) k--;
  return (j - 1 - k) % 2 === 1;
}

/** CountValueKeys counts the keys of every object in a parsed value (iteratively: bodies may nest deeply). */
function countValueKeys(value: unknown): number {
  let n = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
      continue;
    }
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      n++;
      stack.push((v as Record<string, unknown>)[k]);
    }
  }
  return n;
}

/**
 * FindDuplicateKeys scans JSON text (already known to parse) and returns the dotted paths of
 * object keys that occur twice in the same object, for strict field validation.
 */
export function findDuplicateKeys(text: string): string[] {
  const dups: string[] = [];
  type Frame = { keys: Set<string> | undefined; path: string; index: number; pendingKey: string | undefined };
  const stack: Frame[] = [];
  let i = 0;
  const n = text.length;
  const childPath = (f: Frame | undefined): string => {
    if (f === undefined) return '';
    if (f.keys !== undefined) return f.path === '' ? (f.pendingKey ?? '') : `${f.path}.${f.pendingKey ?? ''}`;
    return `${f.path}[${f.index}]`;
  };
  let expectKey = false;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      let hasEscape = false;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 0x5c) {
          hasEscape = true;
          j += 2;
          continue;
        }
        if (d === 0x22) break;
        j++;
      }
      const top = stack[stack.length - 1];
      if (expectKey && top !== undefined && top.keys !== undefined) {
        const raw = text.slice(i + 1, j);
        const key = hasEscape ? (JSON.parse(text.slice(i, j + 1)) as string) : raw;
        if (top.keys.has(key)) dups.push(top.path === '' ? key : `${top.path}.${key}`);
        top.keys.add(key);
        top.pendingKey = key;
        expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === 0x7b /* { */) {
      const parent = stack[stack.length - 1];
      stack.push({ keys: new Set(), path: childPath(parent), index: 0, pendingKey: undefined });
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      const parent = stack[stack.length - 1];
      stack.push({ keys: undefined, path: childPath(parent), index: 0, pendingKey: undefined });
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top !== undefined) {
        if (top.keys !== undefined) expectKey = true;
        else top.index++;
      }
    }
    i++;
  }
  return dups;
}

/** ParseJson parses a JSON body, answering 400 with kube's wording on malformed input. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export { REQUEST_BODY_LIMIT };
