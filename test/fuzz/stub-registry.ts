// A stub OCI registry for the fuzz suites: it serves whatever documents a case puts in `state`,
// each with its correct digest, so the client gets past its digest checks and into its parsers. A
// real registry validates manifests on push and could not serve the hostile shapes the fuzzing needs.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sha256 } from '@trellis/xpkg';
import { afterAll, beforeAll } from 'vitest';

export interface Doc {
  bytes: Buffer;
  contentType: string;
}

export interface StubState {
  /** Tags map a tag to a manifest or index. */
  tags: Map<string, Doc>;
  /** Manifests by digest. */
  manifests: Map<string, Doc>;
  /** Blobs by digest. */
  blobs: Map<string, Buffer>;
}

export interface StubRegistry {
  state: StubState;
  /** Host is 127.0.0.1:<port> (the client speaks plain HTTP to loopback). */
  host(): string;
  /** Put serves `doc` as tag `tag` and by its digest, and returns the digest. */
  put(tag: string, doc: Doc): string;
  clear(): void;
}

/** UseStubRegistry starts the stub for a test file (beforeAll) and stops it afterwards. */
export function useStubRegistry(): StubRegistry {
  const state: StubState = { tags: new Map(), manifests: new Map(), blobs: new Map() };
  let server: Server | undefined;
  let host = '';
  const notFound = (code: string): string => JSON.stringify({ errors: [{ code }] });
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/v2/' || url.pathname === '/v2') {
        res.writeHead(200).end();
        return;
      }
      const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
      if (m === null) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(notFound('NAME_UNKNOWN'));
        return;
      }
      const [, , kind, ref = ''] = m;
      if (kind === 'manifests') {
        const doc = state.manifests.get(ref) ?? state.tags.get(ref);
        if (doc === undefined) {
          res.writeHead(404, { 'content-type': 'application/json' }).end(notFound('MANIFEST_UNKNOWN'));
          return;
        }
        res.writeHead(200, {
          'content-type': doc.contentType,
          'docker-content-digest': sha256(doc.bytes),
          'content-length': String(doc.bytes.length),
        });
        res.end(req.method === 'HEAD' ? undefined : doc.bytes);
        return;
      }
      const blob = state.blobs.get(ref);
      if (blob === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(notFound('BLOB_UNKNOWN'));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(blob.length) }).end(blob);
    });
    const s = server;
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    host = `127.0.0.1:${(s.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    const s = server;
    if (s !== undefined) await new Promise<void>((r) => s.close(() => r()));
  });
  return {
    state,
    host: () => host,
    put(tag, doc) {
      const digest = sha256(doc.bytes);
      state.tags.set(tag, doc);
      state.manifests.set(digest, doc);
      return digest;
    },
    clear() {
      state.tags.clear();
      state.manifests.clear();
      state.blobs.clear();
    },
  };
}
