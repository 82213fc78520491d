// The Trellis composition engine as its own process, for the side-by-side benchmark (so that its
// CPU time and memory are measured the same way as Crossplane core's): the engine with its
// defaults (upstream's XRD→CRD generator, built-in functions in-process through the function
// registry), against one API server. Prints "ready" once its informers have synced; stops on SIGTERM.
//
//   node --conditions=@trellis/source --import tsx bench/compare/trellis-engine.ts --kubeconfig FILE [--workers N]
import { parseArgs } from 'node:util';
import { registryFunctions, startEngine } from '@trellis/engine';
import { newInformerFactory, newKubeClient } from '@trellis/kube';
import { formatError, jsonLogger, nopLogger } from '@trellis/sdk';

const { values } = parseArgs({
  options: { kubeconfig: { type: 'string' }, workers: { type: 'string' }, debug: { type: 'boolean', default: false } },
});
if (values.kubeconfig === undefined) throw new Error('--kubeconfig is required');
const log = values.debug ? jsonLogger((l) => process.stderr.write(`${l}\n`), { debug: true }) : nopLogger;
const client = await newKubeClient({ kubeconfigPath: values.kubeconfig, userAgent: 'trellis-engine' });
const informers = newInformerFactory(client, { log: log.with({ component: 'informers' }) });
const engine = await startEngine({
  client,
  informers,
  functions: registryFunctions(),
  log,
  ...(values.workers === undefined ? {} : { workers: Number(values.workers) }),
});
process.stdout.write('ready\n');

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  try {
    await engine.stop();
    informers.stopAll();
    client.close();
    process.exit(0);
  } catch (err) {
    process.stderr.write(`trellis-engine: cannot stop: ${formatError(err)}\n`);
    process.exit(1);
  }
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
