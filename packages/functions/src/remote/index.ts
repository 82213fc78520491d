export type { RemoteFunctionOptions, RemoteTls } from './client.ts';
export { RemoteFunction } from './client.ts';
export { decodeRequest, decodeResponse, encodeRequest, encodeResponse, fromPbStruct, toPbStruct } from './proto.ts';
export type { FunctionServerOptions, RunningFunctionServer } from './server.ts';
export { serveFunction } from './server.ts';
