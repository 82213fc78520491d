// Starts the embedded API server alone, for manual testing and for benchmarks run by hand:
//   node --conditions=@trellis/source --import tsx bench/apiserver/serve.ts [--data-dir DIR] [--port N] [--no-tls]
// Prints the kubeconfig path when ready; stops on SIGINT/SIGTERM.
import { startApiServer } from '@trellis/apiserver';
import { textLogger } from '@trellis/sdk';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const server = await startApiServer({
  dataDir: arg('--data-dir') ?? '/tmp/trellis-apiserver',
  port: Number(arg('--port') ?? 0),
  tls: !args.includes('--no-tls'),
  fsync: !args.includes('--no-fsync'),
  log: textLogger((l) => process.stderr.write(`${l}\n`), { debug: args.includes('--debug') }),
});
console.log(`KUBECONFIG=${server.kubeconfigPath} ${server.url} recovery=${JSON.stringify(server.recovery)}`);
const stop = async (): Promise<void> => {
  await server.stop();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
