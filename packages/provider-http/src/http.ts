import { permanentError, retryAfterError } from '@trellis/runtime';
import { oneLine, TrellisError } from '@trellis/sdk';
import { HttpCode } from './errors.ts';

/** An HttpRequest is one fully rendered request. */
export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** An HttpResponse carries the parsed body: JSON when the server said so (or it parses), else text. */
export interface HttpResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/** The largest response body read, so a hostile or broken server cannot exhaust memory. */
export const maxResponseBytes = 8 * 1024 * 1024;

/** A Transport sends a request; the default is the global fetch. Tests and benchmarks may swap it. */
export type Transport = (url: string, init: RequestInit) => Promise<Response>;

/** Describe names a request in messages, without query string (which might carry secrets) or headers. */
export function describeRequest(req: Pick<HttpRequest, 'method' | 'url'>): string {
  const u = URL.canParse(req.url) ? new URL(req.url) : undefined;
  return `${req.method} ${u === undefined ? req.url : `${u.origin}${u.pathname}`}`;
}

/**
 * Send performs one request under `signal` and returns the response for every status code; only
 * transport failures throw (typed: HTTP_UNREACHABLE, HTTP_TIMEOUT, HTTP_BAD_RESPONSE).
 */
export async function send(req: HttpRequest, signal: AbortSignal, transport: Transport = fetch): Promise<HttpResponse> {
  const what = describeRequest(req);
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  let bodyText: string | undefined;
  if (req.body !== undefined) {
    bodyText = JSON.stringify(req.body);
    headers['content-type'] ??= 'application/json';
  }
  let res: Response;
  try {
    res = await transport(req.url, {
      method: req.method,
      headers,
      ...(bodyText === undefined ? {} : { body: bodyText }),
      signal,
      redirect: 'manual',
    });
  } catch (err) {
    if (signal.aborted)
      throw new TrellisError(HttpCode.Timeout, `${what}: no response before the deadline`, { cause: err, details: { retry: 'backoff' } });
    // fetch wraps the system error ("connect ECONNREFUSED 127.0.0.1:1") in a bare "fetch failed".
    const inner = (err as { cause?: unknown }).cause;
    throw new TrellisError(HttpCode.Unreachable, `${what}: cannot connect`, {
      cause: inner instanceof Error ? inner : err,
      details: { retry: 'backoff' },
    });
  }
  const text = await readLimited(res, what, signal);
  const type = res.headers.get('content-type') ?? '';
  let body: unknown = text;
  if (text !== '' && (type.includes('json') || /^\s*[[{]/.test(text))) {
    try {
      body = JSON.parse(text);
    } catch (err) {
      if (type.includes('json')) throw new TrellisError(HttpCode.BadResponse, `${what}: response is not valid JSON`, { cause: err });
      body = text;
    }
  }
  return { status: res.status, headers: res.headers, body };
}

async function readLimited(res: Response, what: string, signal: AbortSignal): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > maxResponseBytes) {
    await res.body?.cancel();
    throw new TrellisError(HttpCode.BadResponse, `${what}: response of ${declared} bytes is larger than ${maxResponseBytes}`);
  }
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxResponseBytes) {
        await reader.cancel();
        throw new TrellisError(HttpCode.BadResponse, `${what}: response is larger than ${maxResponseBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof TrellisError) throw err;
    if (signal.aborted)
      throw new TrellisError(HttpCode.Timeout, `${what}: response not read before the deadline`, {
        cause: err,
        details: { retry: 'backoff' },
      });
    throw new TrellisError(HttpCode.Unreachable, `${what}: connection broke while reading the response`, {
      cause: err,
      details: { retry: 'backoff' },
    });
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** ServerMessage extracts a short, one-line message from an error body (`error`, `message`, or text). */
export function serverMessage(body: unknown): string {
  let msg = '';
  if (typeof body === 'string') msg = body;
  else if (typeof body === 'object' && body !== null) {
    const b = body as Record<string, unknown>;
    const v = b.error ?? b.message ?? b.detail ?? b.title;
    msg = typeof v === 'string' ? v : JSON.stringify(body);
  }
  msg = oneLine(msg);
  return msg.length > 300 ? `${msg.slice(0, 297)}...` : msg;
}

/** ParseRetryAfter reads a Retry-After header (seconds or an HTTP date) into milliseconds, capped at 10 minutes. */
export function parseRetryAfter(v: string | null, now: Date = new Date()): number | undefined {
  if (v === null || v.trim() === '') return undefined;
  const s = v.trim();
  let ms: number | undefined;
  if (/^\d+$/.test(s)) ms = Number(s) * 1000;
  else {
    const t = Date.parse(s);
    if (!Number.isNaN(t)) ms = Math.max(0, t - now.getTime());
  }
  return ms === undefined ? undefined : Math.min(ms, 600_000);
}

/**
 * StatusError turns a non-2xx response into the error the runtime acts on: 401/403 and other
 * 4xx are permanent (a clear condition, no hot loop), 408/409 and 5xx back off, 429 and a 503
 * with Retry-After wait exactly as long as the server asks.
 */
export function statusError(req: Pick<HttpRequest, 'method' | 'url'>, res: HttpResponse): TrellisError {
  const what = describeRequest(req);
  const text = serverMessage(res.body);
  const msg = `${what}: ${res.status}${text === '' ? '' : `: ${text}`}`;
  const details = { status: res.status };
  const after = parseRetryAfter(res.headers.get('retry-after'));
  if (res.status === 429) {
    return after === undefined
      ? new TrellisError(HttpCode.TooManyRequests, msg, { details: { ...details, retry: 'backoff' } })
      : retryAfterError(HttpCode.TooManyRequests, msg, after, { details });
  }
  if (res.status === 401) return permanentError(HttpCode.Unauthorized, `${msg} (check the ProviderConfig credentials)`, { details });
  if (res.status === 403) return permanentError(HttpCode.Forbidden, `${msg} (the credentials lack a permission)`, { details });
  if (res.status === 408) return new TrellisError(HttpCode.Timeout, msg, { details: { ...details, retry: 'backoff' } });
  if (res.status === 409) return new TrellisError(HttpCode.Conflict, msg, { details: { ...details, retry: 'backoff' } });
  if (res.status >= 400 && res.status < 500) return permanentError(HttpCode.ClientError, msg, { details });
  if (after !== undefined) return retryAfterError(HttpCode.ServerError, msg, after, { details });
  return new TrellisError(HttpCode.ServerError, msg, { details: { ...details, retry: 'backoff' } });
}
