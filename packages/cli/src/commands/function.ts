import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { builtinKindOf, FunctionRegistry, serveFunction } from '@trellis/functions';
import { TrellisError } from '@trellis/sdk';
import type { CAC } from 'cac';
import type { CommandContext } from '../context.ts';

/** FunctionServeFlags are the flags of `trellis function serve`, named as upstream functions name theirs. */
export interface FunctionServeFlags {
  address?: string;
  tlsCertsDir?: string;
  insecure?: boolean;
  upstreamBugs?: boolean;
}

/**
 * RunFunctionServe serves one of Trellis's built-in functions over gRPC (apiextensions.fn.proto v1
 * and v1beta1) until interrupted, so upstream Crossplane or `crossplane render` can use it: mTLS
 * with `tls.crt`, `tls.key` and `ca.crt` from --tls-certs-dir, or plaintext with --insecure.
 */
export async function runFunctionServe(ctx: CommandContext, name: string, flags: FunctionServeFlags): Promise<number> {
  if (builtinKindOf(name) === undefined) {
    throw new TrellisError(
      'CLI_USAGE',
      `"${name}" is not a Trellis built-in function (patch-and-transform, auto-ready, go-templating, environment-configs, sequencer)`,
    );
  }
  const dir = flags.tlsCertsDir ?? process.env.TLS_SERVER_CERTS_DIR;
  if (flags.insecure !== true && dir === undefined)
    throw new TrellisError('CLI_USAGE', 'give --tls-certs-dir (tls.crt, tls.key, ca.crt) or --insecure');
  const tls =
    flags.insecure === true || dir === undefined
      ? undefined
      : { cert: await readFile(join(dir, 'tls.crt')), key: await readFile(join(dir, 'tls.key')), ca: await readFile(join(dir, 'ca.crt')) };
  const registry = new FunctionRegistry(flags.upstreamBugs === true ? { patchAndTransform: { semantics: 'upstream' } } : {});
  const fn = registry.resolve({ name });
  const address = (flags.address ?? ':9443').startsWith(':') ? `0.0.0.0${flags.address ?? ':9443'}` : (flags.address ?? '0.0.0.0:9443');
  const srv = await serveFunction(fn, { address, logger: ctx.log, ...(tls === undefined ? {} : { tls }) });
  ctx.io.err(`serving ${name} on ${srv.address} (${tls === undefined ? 'insecure' : 'mTLS'})\n`);
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await srv.stop();
  return 0;
}

export function registerFunction(cli: CAC, ctx: CommandContext, run: (fn: () => Promise<number>) => void): void {
  cli
    .command('function <action> <name>', 'Serve a built-in function over gRPC for Crossplane (serve)')
    .option('--address <address>', 'Address to listen on', { default: ':9443' })
    .option('--tls-certs-dir <dir>', 'Directory with tls.crt, tls.key and ca.crt (mutual TLS); also $TLS_SERVER_CERTS_DIR')
    .option('--insecure', 'Serve plaintext gRPC (for crossplane render with the Development runtime)')
    .option('--upstream-bugs', 'Reproduce the known upstream bugs listed in docs/compatibility.md')
    .example('trellis function serve function-patch-and-transform --insecure --address 127.0.0.1:9443')
    .action((action: string, name: string, flags: FunctionServeFlags) =>
      run(async () => {
        if (action !== 'serve') throw new TrellisError('CLI_USAGE', `unknown function action "${action}" (want serve)`);
        return runFunctionServe(ctx, name, flags);
      }),
    );
}
