/**
 * RemoteFunction calls a composition function over gRPC, as Crossplane does:
 * `apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction`, falling back to `v1beta1` when
 * the server answers UNIMPLEMENTED; TLS (optionally mutual) or insecure; a per-call deadline;
 * and message size limits raised so large desired states pass.
 */
import type * as Grpc from '@grpc/grpc-js';
import { type Logger, nopLogger, TrellisError } from '@trellis/sdk';
import { FnErrorCode } from '../errors.ts';
import type { CompositionFunction, RunFunctionRequest, RunFunctionResponse, RunOptions } from '../protocol/types.ts';
import { decodeResponse, encodeRequest, SERVICE_V1, SERVICE_V1BETA1 } from './proto.ts';

export interface RemoteTls {
  /** PEM CA bundle that signed the server certificate. */
  ca: Uint8Array;
  /** PEM client certificate and key for mutual TLS. */
  cert?: Uint8Array;
  key?: Uint8Array;
  /** Name to verify in the server certificate, when it differs from the target host. */
  serverName?: string;
}

export interface RemoteFunctionOptions {
  /** A gRPC target: `host:port`, `dns:///host:port`, `unix:///path`. */
  target: string;
  /** TLS settings; omit for an insecure (plaintext) connection. */
  tls?: RemoteTls;
  /** Deadline of one call in milliseconds (default 60 s, Crossplane's render default). */
  timeoutMs?: number;
  /** Maximum message size in bytes, both directions (default 256 MiB). */
  maxMessageBytes?: number;
  /** A name for messages (the Function object name). */
  name?: string;
  logger?: Logger;
}

const DEFAULT_MAX = 256 * 1024 * 1024;

/** The gRPC status code of a server without the requested service (grpc.status.UNIMPLEMENTED). */
const UNIMPLEMENTED = 12;

/**
 * LoadGrpc imports @grpc/grpc-js on first use: a process whose functions all run in-process
 * (the engine's default) never loads it (it is a large module graph; see docs/benchmarks.md,
 * "Engine memory").
 */
let grpcModule: Promise<typeof Grpc> | undefined;
export function loadGrpc(): Promise<typeof Grpc> {
  grpcModule ??= import('@grpc/grpc-js');
  return grpcModule;
}

/** RemoteFunction is a CompositionFunction backed by a gRPC function server (connected on first call). */
export class RemoteFunction implements CompositionFunction {
  readonly target: string;
  readonly name: string;
  private readonly opts: RemoteFunctionOptions;
  private client: Promise<{ grpc: typeof Grpc; client: Grpc.Client }> | undefined;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly log: Logger;
  private useV1beta1 = false;

  constructor(opts: RemoteFunctionOptions) {
    this.opts = opts;
    this.target = opts.target;
    this.name = opts.name ?? opts.target;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.log = opts.logger ?? nopLogger;
  }

  /** Connect makes the gRPC client once (a closed RemoteFunction is not reconnected). */
  private connect(): Promise<{ grpc: typeof Grpc; client: Grpc.Client }> {
    this.client ??= loadGrpc().then((grpc) => {
      const opts = this.opts;
      const max = opts.maxMessageBytes ?? DEFAULT_MAX;
      const creds = opts.tls
        ? grpc.credentials.createSsl(
            Buffer.from(opts.tls.ca),
            opts.tls.key ? Buffer.from(opts.tls.key) : null,
            opts.tls.cert ? Buffer.from(opts.tls.cert) : null,
          )
        : grpc.credentials.createInsecure();
      const channelOptions: Grpc.ChannelOptions = {
        'grpc.max_receive_message_length': max,
        'grpc.max_send_message_length': max,
      };
      if (opts.tls?.serverName !== undefined) channelOptions['grpc.ssl_target_name_override'] = opts.tls.serverName;
      const client = new grpc.Client(opts.target, creds, channelOptions);
      if (this.closed) client.close();
      return { grpc, client };
    });
    return this.client;
  }

  async run(req: RunFunctionRequest, opts: RunOptions = {}): Promise<RunFunctionResponse> {
    const payload = Buffer.from(encodeRequest(req));
    if (!this.useV1beta1) {
      try {
        return await this.call(SERVICE_V1, payload, opts);
      } catch (e) {
        if (!(e instanceof TrellisError && e.details?.grpcCode === UNIMPLEMENTED)) throw e;
        this.log.debug('function does not implement v1, falling back to v1beta1', { function: this.name });
        this.useV1beta1 = true;
      }
    }
    return this.call(SERVICE_V1BETA1, payload, opts);
  }

  private async call(path: string, payload: Buffer, opts: RunOptions): Promise<RunFunctionResponse> {
    const { grpc, client } = await this.connect();
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + this.timeoutMs);
      const call = client.makeUnaryRequest(
        path,
        (b: Buffer) => b,
        (b: Buffer) => b,
        payload,
        new grpc.Metadata(),
        { deadline, waitForReady: true } as Grpc.CallOptions,
        (err: Grpc.ServiceError | null, value?: Buffer) => {
          if (err) {
            reject(
              new TrellisError(
                FnErrorCode.Remote,
                `cannot run function "${this.name}" at ${this.target}: ${grpc.status[err.code] ?? err.code}: ${err.details}`,
                {
                  cause: err,
                  details: { grpcCode: err.code },
                },
              ),
            );
            return;
          }
          try {
            resolve(decodeResponse(value ?? Buffer.alloc(0)));
          } catch (e) {
            reject(new TrellisError(FnErrorCode.Remote, `function "${this.name}" returned a malformed response`, { cause: e }));
          }
        },
      );
      if (opts.signal) {
        if (opts.signal.aborted) call.cancel();
        else opts.signal.addEventListener('abort', () => call.cancel(), { once: true });
      }
    });
  }

  close(): void {
    this.closed = true;
    void this.client?.then(
      ({ client }) => client.close(),
      () => undefined, // grpc-js failed to load: there is no client to close (run() reported why)
    );
  }
}
