// A preload for measuring a Node process's heap from outside, used by bench/reliability/heap-churn.ts:
//
//   node --expose-gc --import ./bench/reliability/heap-probe.mjs packages/cli/bin/trellis.js up ...
//
// with an IPC channel to the parent (spawn's stdio `'ipc'`). The parent sends
// `{ probe: 'gc' }` and gets back `{ probe: 'gc', heapUsed, heapTotal, external, arrayBuffers, rss }`
// read after full garbage collections (what survives collection, not what happens to be allocated
// at that instant), or `{ probe: 'snapshot', path }` and gets `{ probe: 'snapshot', path }` once a
// heap snapshot is written there (after a collection). Nothing in the product knows about it: the
// preload only exists in the measuring process, and without an IPC channel it does nothing.
import { writeHeapSnapshot } from 'node:v8';

const collect = () => {
  const gc = globalThis.gc;
  if (typeof gc !== 'function') throw new Error('heap-probe needs node --expose-gc');
  // Several passes: weak references and finalizers cleared by one pass free more in the next.
  for (let i = 0; i < 4; i++) gc();
};

if (typeof process.send === 'function') {
  process.on('message', (m) => {
    if (m === null || typeof m !== 'object' || typeof m.probe !== 'string') return;
    try {
      if (m.probe === 'gc') {
        collect();
        const u = process.memoryUsage();
        process.send({
          probe: 'gc',
          heapUsed: u.heapUsed,
          heapTotal: u.heapTotal,
          external: u.external,
          arrayBuffers: u.arrayBuffers,
          rss: u.rss,
        });
      } else if (m.probe === 'snapshot') {
        collect();
        process.send({ probe: 'snapshot', path: writeHeapSnapshot(m.path) });
      }
    } catch (err) {
      process.send({ probe: m.probe, error: String(err) });
    }
  });
  // The channel must not keep the process alive once its own work is done.
  process.channel?.unref();
}
