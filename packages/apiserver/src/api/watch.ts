import type { ServerResponse } from 'node:http';
import type { KubeObject } from '@trellis/sdk';
import type { Output } from '../http/negotiate.ts';
import type { ResourceType } from '../registry/types.ts';
import type { StoreEvent } from '../store/history.ts';
import type { StoredObject } from '../store/objects.ts';
import { expired } from './errors.ts';
import type { ListOpts } from './options.ts';
import { parseResourceVersion } from './options.ts';
import type { Rest } from './rest.ts';
import { servedJson } from './serve.ts';
import { type IncludeObject, partialObjectMetadata, tableRow } from './table.ts';

export interface WatchParams {
  rt: ResourceType;
  namespace: string;
  opts: ListOpts;
  output: Output;
  include: IncludeObject;
  /** BookmarkIntervalMs is how often bookmarks are sent when allowed (default 60 s, as kube). */
  bookmarkIntervalMs: number;
  /** OnEnd is called once when the watch ends (metrics). */
  onEnd?: () => void;
}

/** A Watch is one open watch stream. */
export interface WatchHandle {
  close(): void;
}

/** MaxBufferedBytes closes a watch whose client does not read (kube closes slow watchers too). */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * ServeWatch validates the request (answering errors as normal responses), then streams events:
 * the initial state (ADDED, and the initial-events-end bookmark for WatchList), retained history
 * when resuming from a resourceVersion (or a single ERROR 410 event when it is too old), then live
 * events in resourceVersion order, with selector transitions (an object that stops matching is
 * sent as DELETED, one that starts matching as ADDED), bookmarks, and the timeout.
 */
export function serveWatch(res: ServerResponse, rest: Rest, p: WatchParams): WatchHandle {
  const { rt, opts } = p;
  const store = rest.store;
  const ns = rt.namespaced ? p.namespace : '';
  const match = rest.matcher(rt, opts, ns);
  const now = (): number => Date.now();
  let tableHeaders = true;

  const objectOf = (o: StoredObject, rvOverride?: number): string => {
    if (p.output.kind === 'json' && rvOverride === undefined) return servedJson(rt, o);
    const obj = rt.fromStorage(o.object());
    if (rvOverride !== undefined) obj.metadata.resourceVersion = String(rvOverride);
    return render(obj);
  };

  const render = (obj: KubeObject): string => {
    if (p.output.kind === 'table') {
      const table: Record<string, unknown> = {
        kind: 'Table',
        apiVersion: `meta.k8s.io/${p.output.version}`,
        metadata: { resourceVersion: obj.metadata.resourceVersion },
      };
      if (tableHeaders) {
        table.columnDefinitions = rt.table.columns;
        tableHeaders = false;
      } else table.columnDefinitions = null;
      table.rows = [tableRow(rt.table, obj, p.include, p.output.version, now())];
      return JSON.stringify(table);
    }
    if (p.output.kind === 'partial') return JSON.stringify(partialObjectMetadata(obj, p.output.version));
    return JSON.stringify(obj);
  };

  const line = (type: string, objectJson: string): string => `{"type":"${type}","object":${objectJson}}\n`;

  const bookmark = (rv: number, initialEnd = false): string => {
    const meta: Record<string, unknown> = { resourceVersion: String(rv), creationTimestamp: null };
    if (initialEnd) meta.annotations = { 'k8s.io/initial-events-end': 'true' };
    const obj = { kind: rt.kind, apiVersion: rt.group === '' ? rt.version : `${rt.group}/${rt.version}`, metadata: meta };
    if (p.output.kind === 'table') {
      return line(
        'BOOKMARK',
        JSON.stringify({
          kind: 'Table',
          apiVersion: `meta.k8s.io/${p.output.version}`,
          metadata: { resourceVersion: String(rv) },
          columnDefinitions: null,
          rows: [],
        }),
      );
    }
    if (p.output.kind === 'partial')
      return line(
        'BOOKMARK',
        JSON.stringify({ kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${p.output.version}`, metadata: meta }),
      );
    return line('BOOKMARK', JSON.stringify(obj));
  };

  /** EventLine turns a store event into the line this watcher sends, or undefined. */
  const eventLine = (ev: StoreEvent): string | undefined => {
    if (ev.type === 'DELETED') return ev.prev !== undefined && match(ev.prev) ? line('DELETED', objectOf(ev.object)) : undefined;
    const cur = match(ev.object);
    const prev = ev.prev !== undefined && match(ev.prev);
    if (cur && (ev.type === 'ADDED' || prev)) return line(ev.type === 'ADDED' ? 'ADDED' : 'MODIFIED', objectOf(ev.object));
    if (cur && !prev) return line('ADDED', objectOf(ev.object));
    if (!cur && prev && ev.prev !== undefined) return line('DELETED', objectOf(ev.prev, ev.rv));
    return undefined;
  };

  // Decide where the stream starts before any byte is written (errors become normal responses).
  const rvParam = opts.resourceVersion;
  const sendInitial = opts.sendInitialEvents === true || (opts.sendInitialEvents === undefined && (rvParam === '' || rvParam === '0'));
  let startRv = store.dispatchedRv;
  let history: StoreEvent[] | 'expired' = [];
  if (!sendInitial && rvParam !== '' && rvParam !== '0') {
    const rv = parseResourceVersion(rvParam);
    history = rv > store.dispatchedRv ? [] : store.eventsSince(rt.bucket, rv);
    startRv = Math.max(rv, store.dispatchedRv);
  } else if (rvParam !== '' && rvParam !== '0') {
    parseResourceVersion(rvParam);
  }
  const initial = sendInitial ? (store.listAt(rt.bucket, ns === '' ? undefined : ns, store.dispatchedRv) ?? []).filter(match) : [];

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  res.socket?.setNoDelay(true);

  let closed = false;
  let lastRv = startRv;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  let timeoutTimer: NodeJS.Timeout | undefined;
  let unsubscribe: () => void = () => {};

  const close = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    if (bookmarkTimer !== undefined) clearInterval(bookmarkTimer);
    if (timeoutTimer !== undefined) clearTimeout(timeoutTimer);
    if (!res.writableEnded) res.end();
    p.onEnd?.();
  };

  const send = (chunk: string): void => {
    if (closed) return;
    res.write(chunk);
    if (res.writableLength > MAX_BUFFERED_BYTES) close();
  };

  if (history === 'expired') {
    const floor = store.oldestResumableRv(rt.bucket);
    const err = expired(`too old resource version: ${rvParam} (${floor})`);
    send(line('ERROR', JSON.stringify(err.status)));
    close();
    return { close };
  }

  // Everything up to dispatchedRv is sent from the snapshot/history; the listener only sees later events.
  const deliverUpTo = store.dispatchedRv;
  const writeInitial = (): void => {
    const chunks: string[] = [];
    for (const o of initial) chunks.push(line('ADDED', objectOf(o)));
    for (const ev of history as StoreEvent[]) {
      const l = eventLine(ev);
      if (l !== undefined) chunks.push(l);
    }
    if (sendInitial && opts.sendInitialEvents === true && opts.allowWatchBookmarks) chunks.push(bookmark(deliverUpTo, true));
    if (chunks.length > 0) send(chunks.join(''));
    lastRv = deliverUpTo;
  };

  unsubscribe = store.subscribe(rt.bucket, (ev) => {
    if (closed || ev.rv <= deliverUpTo || ev.rv <= startRv) return;
    lastRv = ev.rv;
    const l = eventLine(ev);
    if (l !== undefined) send(l);
  });
  writeInitial();

  if (opts.allowWatchBookmarks) {
    bookmarkTimer = setInterval(() => send(bookmark(Math.max(lastRv, store.dispatchedRv))), p.bookmarkIntervalMs);
    bookmarkTimer.unref();
  }
  const timeoutMs =
    opts.timeoutSeconds !== undefined && opts.timeoutSeconds > 0 ? opts.timeoutSeconds * 1000 : (1800 + Math.random() * 1800) * 1000;
  timeoutTimer = setTimeout(() => {
    if (opts.allowWatchBookmarks) send(bookmark(Math.max(lastRv, store.dispatchedRv)));
    close();
  }, timeoutMs);
  timeoutTimer.unref();
  res.on('close', close);
  res.on('error', close);
  return { close };
}
