// The Trellis composition engine as its own process, for the side-by-side benchmark (so that its
// CPU time and memory are measured the same way as Crossplane core's): the engine with its
// defaults (upstream's XRD→CRD generator, built-in functions in-process through the function
// registry), against one API server. Prints "ready" once its informers have synced; stops on SIGTERM.
//
//   node --conditions=@trellis/source --import tsx bench/compare/trellis-engine.ts --kubeconfig FILE [--workers N]
//        [--memory-log FILE] [--heap-snapshot FILE]
//
// Opt-in memory diagnostics (off by default, so the measured process is the plain engine):
// --memory-log appends one JSON line every 500 ms with process.memoryUsage() and the used size of
// each V8 heap space; --heap-snapshot writes a V8 heap snapshot to FILE on SIGUSR2 and then prints
// "snapshot" on stdout; --allocation-profile (below) is the same for allocations.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { parseArgs } from 'node:util';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { registryFunctions, startEngine } from '@trellis/engine';
import { newInformerFactory, newKubeClient } from '@trellis/kube';
import { formatError, jsonLogger, nopLogger } from '@trellis/sdk';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    workers: { type: 'string' },
    debug: { type: 'boolean', default: false },
    'memory-log': { type: 'string' },
    'heap-snapshot': { type: 'string' },
    'allocation-profile': { type: 'string' },
  },
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

const memoryLog = values['memory-log'];
if (memoryLog !== undefined) {
  const sample = (): void => {
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
    // RssAnon is the process's own memory (heap, malloc), RssFile its mapped files (node's binary).
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    const rssParts = { rssAnon: kb('RssAnon'), rssFile: kb('RssFile') };
    appendFileSync(memoryLog, `${JSON.stringify({ t: Date.now(), ...process.memoryUsage(), ...rssParts, spaces })}\n`);
  };
  sample();
  setInterval(sample, 500).unref();
}
// --allocation-profile FILE samples every allocation (also of objects collected since), from
// ready until SIGUSR2, and writes the sampling heap profile (Chrome DevTools format) to FILE.
const allocationProfile = values['allocation-profile'];
if (allocationProfile !== undefined) {
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}): Promise<unknown> =>
    new Promise((ok, fail) => session.post(method, params, (err, res) => (err === null ? ok(res) : fail(err))));
  await post('HeapProfiler.startSampling', {
    samplingInterval: 16384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  process.on('SIGUSR2', () => {
    void post('HeapProfiler.stopSampling').then((res) => {
      writeFileSync(allocationProfile, JSON.stringify((res as { profile: unknown }).profile));
      process.stdout.write('snapshot\n');
    });
  });
}
const snapshotFile = values['heap-snapshot'];
if (snapshotFile !== undefined) {
  process.on('SIGUSR2', () => {
    writeHeapSnapshot(snapshotFile);
    process.stdout.write('snapshot\n');
  });
}

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
