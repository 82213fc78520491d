/**
 * The gRPC layer with real servers and clients: our FunctionServer and RemoteFunction over
 * loopback, insecure and with mutual TLS (certificates made by openssl), the v1beta1 fallback,
 * deadlines, messages far above gRPC's 4 MiB default, malformed and failing servers; and upstream
 * `crossplane render` calling our built-in patch-and-transform through the server, with output
 * identical to rendering with upstream function-patch-and-transform.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import {
  type CompositionFunction,
  encodeResponse,
  PatchAndTransform,
  RemoteFunction,
  type RunFunctionRequest,
  serveFunction,
} from '@trellis/functions';
import { hasCode } from '@trellis/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixture } from './fixtures.ts';
import { requireBinary } from './oracle.ts';
import { freePort, startUpstream } from './upstream.ts';

const dir = mkdtempSync(join(tmpdir(), 'trellis-fn-tls-'));
const pem = (f: string) => readFileSync(join(dir, f));

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

beforeAll(() => {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=trellis-test-ca',
  );
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  for (const who of ['server', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${who}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${who}.crt`,
      '-days',
      '1',
      '-extfile',
      'san.ext',
    );
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const req: RunFunctionRequest = {
  meta: { tag: 'remote-test' },
  observed: {
    composite: { resource: { apiVersion: 'example.org/v1', kind: 'XApp', metadata: { name: 'a' }, spec: { region: 'eu', n: 3 } } },
  },
  input: {
    apiVersion: 'pt.fn.crossplane.io/v1beta1',
    kind: 'Resources',
    resources: [
      {
        name: 'cm',
        base: { apiVersion: 'v1', kind: 'ConfigMap' },
        patches: [{ fromFieldPath: 'spec.region', toFieldPath: 'data.region' }],
      },
    ],
  },
};

describe('FunctionServer and RemoteFunction', () => {
  it('serve the built-in P&T insecurely with the same answer as in-process', async () => {
    const fn = new PatchAndTransform();
    const srv = await serveFunction(fn, { address: '127.0.0.1:0' });
    const client = new RemoteFunction({ target: srv.address });
    try {
      const remote = await client.run(req);
      const local = await fn.run(req);
      expect(remote.desired?.resources?.cm?.resource).toEqual(local.desired?.resources?.cm?.resource);
      expect(remote.meta).toEqual({ tag: 'remote-test', ttlSeconds: 60 });
      expect(remote.context).toEqual(local.context);
    } finally {
      client.close();
      await srv.stop();
    }
  });

  it('use mutual TLS and refuse clients without a certificate', async () => {
    const srv = await serveFunction(new PatchAndTransform(), {
      address: '127.0.0.1:0',
      tls: { cert: pem('server.crt'), key: pem('server.key'), ca: pem('ca.crt') },
    });
    const good = new RemoteFunction({
      target: srv.address,
      tls: { ca: pem('ca.crt'), cert: pem('client.crt'), key: pem('client.key') },
      timeoutMs: 5000,
    });
    const noCert = new RemoteFunction({ target: srv.address, tls: { ca: pem('ca.crt') }, timeoutMs: 2000 });
    try {
      const rsp = await good.run(req);
      expect(rsp.desired?.resources?.cm?.resource).toMatchObject({ data: { region: 'eu' } });
      const err = await noCert.run(req).catch((e: unknown) => e);
      expect(hasCode(err, 'FUNCTIONS_REMOTE')).toBe(true);
    } finally {
      good.close();
      noCert.close();
      await srv.stop();
    }
  });

  it('fall back to v1beta1 when the server does not implement v1', async () => {
    const server = new grpc.Server();
    const def: grpc.ServiceDefinition = {
      RunFunction: {
        path: '/apiextensions.fn.proto.v1beta1.FunctionRunnerService/RunFunction',
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    };
    server.addService(def, {
      RunFunction: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) =>
        cb(null, Buffer.from(encodeResponse({ meta: { tag: 'beta' }, results: [{ severity: 'SEVERITY_NORMAL', message: 'v1beta1' }] }))),
    });
    const port = await new Promise<number>((res, rej) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
    );
    const client = new RemoteFunction({ target: `127.0.0.1:${port}` });
    try {
      const rsp = await client.run(req);
      expect(rsp.results).toEqual([{ severity: 'SEVERITY_NORMAL', message: 'v1beta1' }]);
    } finally {
      client.close();
      server.forceShutdown();
    }
  });

  it('enforce the call deadline', async () => {
    let release: () => void = () => undefined;
    const slow: CompositionFunction = {
      run: () =>
        new Promise((r) => {
          release = () => r({});
        }),
    };
    const srv = await serveFunction(slow, { address: '127.0.0.1:0' });
    const client = new RemoteFunction({ target: srv.address, timeoutMs: 300 });
    try {
      const err = await client.run(req).catch((e: unknown) => e);
      expect(hasCode(err, 'FUNCTIONS_REMOTE')).toBe(true);
      expect(String((err as Error).message)).toContain('DEADLINE_EXCEEDED');
    } finally {
      release();
      client.close();
      await srv.stop();
    }
  });

  it('carry messages far above the 4 MiB gRPC default', async () => {
    const big = 'x'.repeat(24 * 1024 * 1024);
    const echo: CompositionFunction = {
      run: async (r) => ({
        desired: { resources: { big: { resource: { data: { v: String((r.input as { v?: string } | undefined)?.v ?? '').length } } } } },
      }),
    };
    const srv = await serveFunction(echo, { address: '127.0.0.1:0' });
    const client = new RemoteFunction({ target: srv.address, timeoutMs: 30_000 });
    try {
      const rsp = await client.run({ input: { v: big } });
      expect(rsp.desired?.resources?.big?.resource).toEqual({ data: { v: big.length } });
    } finally {
      client.close();
      await srv.stop();
    }
  });

  it('turn malformed responses and failing functions into errors, not crashes', async () => {
    const server = new grpc.Server();
    server.addService(
      {
        RunFunction: {
          path: '/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction',
          requestStream: false,
          responseStream: false,
          requestSerialize: (b: Buffer) => b,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (b: Buffer) => b,
          responseDeserialize: (b: Buffer) => b,
        },
      },
      { RunFunction: (_c: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from([0xff, 0xff, 0xff, 0x0f, 0x01])) },
    );
    const port = await new Promise<number>((res, rej) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
    );
    const failing = await serveFunction({ run: async () => Promise.reject(new Error('boom')) }, { address: '127.0.0.1:0' });
    const c1 = new RemoteFunction({ target: `127.0.0.1:${port}` });
    const c2 = new RemoteFunction({ target: failing.address });
    const nowhere = new RemoteFunction({ target: `127.0.0.1:${await freePort()}`, timeoutMs: 500 });
    try {
      const e1 = await c1.run(req).catch((e: unknown) => e);
      expect(hasCode(e1, 'FUNCTIONS_REMOTE')).toBe(true);
      expect(String((e1 as Error).message)).toContain('malformed response');
      const e2 = await c2.run(req).catch((e: unknown) => e);
      expect(hasCode(e2, 'FUNCTIONS_REMOTE')).toBe(true);
      expect(String((e2 as Error).message)).toContain('boom');
      const e3 = await nowhere.run(req).catch((e: unknown) => e);
      expect(hasCode(e3, 'FUNCTIONS_REMOTE')).toBe(true);
    } finally {
      c1.close();
      c2.close();
      nowhere.close();
      server.forceShutdown();
      await failing.stop();
    }
  });
});

describe('upstream crossplane render calling our built-in P&T', () => {
  it('renders the same output as with upstream function-patch-and-transform', async () => {
    const cli = requireBinary('crossplane');
    const core = requireBinary('crossplane-core');
    const upstream = await startUpstream('function-patch-and-transform');
    const ours = await serveFunction(new PatchAndTransform({ semantics: 'upstream' }), { address: '127.0.0.1:0' });
    const work = mkdtempSync(join(tmpdir(), 'trellis-render-'));
    try {
      const outputs: string[] = [];
      for (const name of ['rw-database', 'rw-iam-policy', 'pt-connection-v2-secret', 'pt-policy-required-new', 'pt-to-composite']) {
        const f = loadFixture(name);
        for (const target of [upstream.address, ours.address]) {
          const fnYaml = `apiVersion: pkg.crossplane.io/v1
kind: Function
metadata:
  name: function-patch-and-transform
  annotations:
    render.crossplane.io/runtime: Development
    render.crossplane.io/runtime-development-target: ${target}
spec:
  package: xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform:v0.10.7
`;
          writeFileSync(join(work, 'functions.yaml'), fnYaml);
          const args = [
            'render',
            join(f.dir, 'xr.yaml'),
            join(f.dir, 'composition.yaml'),
            join(work, 'functions.yaml'),
            `--crossplane-binary=${core}`,
            '-r',
          ];
          if (f.observed.length > 0) args.push(`--observed-resources=${join(f.dir, 'observed.yaml')}`);
          // async: our server runs in this process and must keep answering while render runs
          const { stdout } = await promisify(execFile)(cli, args, { cwd: work, encoding: 'utf8', timeout: 60_000 });
          outputs.push(stdout);
        }
        const theirs = outputs.at(-2);
        const oursOut = outputs.at(-1);
        expect(oursOut, name).toEqual(theirs);
        expect(oursOut).toContain('kind:');
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
      await ours.stop();
      await upstream.stop();
    }
  });
});
