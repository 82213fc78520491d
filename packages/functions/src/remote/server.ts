/**
 * FunctionServer exposes a CompositionFunction (a Trellis built-in) as a gRPC function server,
 * speaking `v1` and `v1beta1`, so upstream Crossplane (or `crossplane render` with the
 * Development runtime) can call Trellis's patch-and-transform, go-templating and friends.
 */
import type * as Grpc from '@grpc/grpc-js';
import { type Logger, nopLogger } from '@trellis/sdk';
import type { CompositionFunction } from '../protocol/types.ts';
import { loadGrpc } from './client.ts';
import { decodeRequest, encodeResponse, SERVICE_V1, SERVICE_V1BETA1 } from './proto.ts';

export interface FunctionServerOptions {
  /** `host:port` to listen on; port 0 picks a free port. Default 127.0.0.1:9443. */
  address?: string;
  /** TLS: server certificate and key (PEM); with `ca`, clients must present a certificate signed by it. */
  tls?: { cert: Uint8Array; key: Uint8Array; ca?: Uint8Array };
  maxMessageBytes?: number;
  logger?: Logger;
}

export interface RunningFunctionServer {
  /** The bound `host:port`. */
  address: string;
  port: number;
  stop(): Promise<void>;
}

/** ServeFunction starts a gRPC server for `fn` and resolves once it listens. */
export async function serveFunction(fn: CompositionFunction, opts: FunctionServerOptions = {}): Promise<RunningFunctionServer> {
  const log = opts.logger ?? nopLogger;
  const max = opts.maxMessageBytes ?? 256 * 1024 * 1024;
  const grpc = await loadGrpc();
  const server = new grpc.Server({ 'grpc.max_receive_message_length': max, 'grpc.max_send_message_length': max });
  const handler: Grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
    let req: ReturnType<typeof decodeRequest>;
    try {
      req = decodeRequest(call.request);
    } catch (e) {
      callback({
        code: grpc.status.INVALID_ARGUMENT,
        details: `cannot decode RunFunctionRequest: ${e instanceof Error ? e.message : String(e)}`,
      });
      return;
    }
    fn.run(req).then(
      (rsp) => callback(null, Buffer.from(encodeResponse(rsp))),
      (e: unknown) => {
        log.info('function failed', { error: e instanceof Error ? e.message : String(e) });
        callback({ code: grpc.status.INTERNAL, details: e instanceof Error ? e.message : String(e) });
      },
    );
  };
  const def = (path: string): Grpc.ServiceDefinition => ({
    RunFunction: {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
    },
  });
  server.addService(def(SERVICE_V1), { RunFunction: handler });
  server.addService(def(SERVICE_V1BETA1), { RunFunction: handler });
  const creds = opts.tls
    ? grpc.ServerCredentials.createSsl(
        opts.tls.ca ? Buffer.from(opts.tls.ca) : null,
        [{ cert_chain: Buffer.from(opts.tls.cert), private_key: Buffer.from(opts.tls.key) }],
        opts.tls.ca !== undefined,
      )
    : grpc.ServerCredentials.createInsecure();
  const address = opts.address ?? '127.0.0.1:9443';
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, creds, (err, p) => (err ? reject(err) : resolve(p)));
  });
  const host = address.slice(0, address.lastIndexOf(':'));
  return {
    address: `${host}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
