// Starts the composition engine for an end-to-end suite: real API server, real informers and work
// queues, built-in functions in-process. Each suite labels its XRDs and Compositions with its own
// selector value, so several suites (and engines) share one API server without seeing each other.

import { type Engine, type EngineMetrics, type EngineOptions, newEngineMetrics, registryFunctions, startEngine } from '@trellis/engine';
import { type InformerFactory, type KubeClient, newInformerFactory, newWorkQueue } from '@trellis/kube';
import { jsonLogger, type KubeObject, nopLogger } from '@trellis/sdk';
import { afterAll, beforeAll } from 'vitest';
import { installCrossplaneCrds } from './crossplane-crds.ts';

const env = (name: string): string | undefined => process.env[name];

export const SelectorLabel = 'trellis.test/engine';

export interface EngineFixture {
  readonly engine: Engine;
  readonly metrics: EngineMetrics;
  /** Selector is the label value this suite's XRDs and Compositions carry. */
  readonly selector: string;
  /** Labelled returns `obj` with the suite's selector label added. */
  labelled<T extends KubeObject>(obj: T): T;
  /** Writes sums the engine's API write requests so far (everything except get, list, watch). */
  writes(): number;
}

/**
 * UseEngine registers hooks that install the Crossplane CRDs and start an engine on `client()`
 * for the suite, and stop it afterwards. `options()` (read when the engine starts) adds engine
 * options, e.g. client TLS for installed functions. Set TRELLIS_TEST_LOG=1 to see the engine's logs.
 */
export function useEngine(client: () => KubeClient, selector: string, options: () => Partial<EngineOptions> = () => ({})): EngineFixture {
  let engine: Engine | undefined;
  let informers: InformerFactory | undefined;
  const metrics = newEngineMetrics();
  beforeAll(async () => {
    const c = client();
    await installCrossplaneCrds(c);
    const log = env('TRELLIS_TEST_LOG') === '1' ? jsonLogger((l) => process.stderr.write(`${l}\n`), { debug: true }) : nopLogger;
    informers = newInformerFactory(c, { log: log.with({ component: 'informers' }) });
    engine = await startEngine({
      client: c,
      informers,
      newQueue: () => newWorkQueue({ baseDelayMs: 100, maxDelayMs: 5_000, qps: 100, burst: 1000 }),
      functions: registryFunctions(),
      metrics,
      log,
      selector: `${SelectorLabel}=${selector}`,
      workers: 4,
      ...options(),
    });
  });
  afterAll(async () => {
    await engine?.stop();
    informers?.stopAll();
  });
  return {
    get engine(): Engine {
      if (engine === undefined) throw new Error('useEngine: the engine exists only inside tests');
      return engine;
    },
    metrics,
    selector,
    labelled(obj) {
      return { ...obj, metadata: { ...obj.metadata, labels: { ...(obj.metadata.labels ?? {}), [SelectorLabel]: selector } } };
    },
    writes() {
      const text = metrics.registry.expose();
      let n = 0;
      for (const line of text.split('\n')) {
        const m = /^trellis_kube_requests_total\{verb="([^"]+)",kind="[^"]*"\} (\d+)/.exec(line);
        if (m === null) continue;
        if (m[1] === 'get' || m[1] === 'list' || m[1] === 'watch') continue;
        n += Number(m[2]);
      }
      return n;
    },
  };
}
