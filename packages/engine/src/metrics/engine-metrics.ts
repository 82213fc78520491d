import type { CompositionFunction, RunFunctionRequest, RunOptions } from '@trellis/functions';
import type { KubeClient } from '@trellis/kube';
import { type Counter, type Gauge, type Histogram, newRegistry, type Registry } from './registry.ts';

/** EngineMetrics are the Prometheus metrics the engine records. */
export interface EngineMetrics {
  registry: Registry;
  /** trellis_controller_reconcile_total{controller,result}: result is success, requeue or error. */
  reconciles: Counter;
  /** trellis_controller_reconcile_duration_seconds{controller}. */
  reconcileDuration: Histogram;
  /** trellis_function_run_duration_seconds{function,result}: one pipeline step call. */
  functionDuration: Histogram;
  /** trellis_workqueue_depth{controller}: keys waiting, collected on scrape. */
  queueDepth: Gauge;
  /** trellis_kube_requests_total{verb,kind}: requests this engine sent to the API server. */
  apiRequests: Counter;
  /** trellis_engine_writes_skipped_total{kind,what}: writes not sent because nothing would change. */
  skippedWrites: Counter;
  /** trellis_engine_controllers{kind}: controllers running (definition, composite, claim, ...). */
  controllers: Gauge;
}

/** NewEngineMetrics registers the engine's metrics in `registry` (a new one by default). */
export function newEngineMetrics(registry: Registry = newRegistry()): EngineMetrics {
  return {
    registry,
    reconciles: registry.counter('trellis_controller_reconcile_total', 'Reconciles by controller and result.', ['controller', 'result']),
    reconcileDuration: registry.histogram('trellis_controller_reconcile_duration_seconds', 'Reconcile duration by controller.', [
      'controller',
    ]),
    functionDuration: registry.histogram(
      'trellis_function_run_duration_seconds',
      'Composition function call latency by function and result.',
      ['function', 'result'],
    ),
    queueDepth: registry.gauge('trellis_workqueue_depth', 'Keys waiting in a controller work queue.', ['controller']),
    apiRequests: registry.counter('trellis_kube_requests_total', 'Kubernetes API requests sent by verb and kind.', ['verb', 'kind']),
    skippedWrites: registry.counter('trellis_engine_writes_skipped_total', 'Writes skipped because they would change nothing.', [
      'kind',
      'what',
    ]),
    controllers: registry.gauge('trellis_engine_controllers', 'Controllers running, by kind.', ['kind']),
  };
}

/**
 * InstrumentKubeClient wraps a KubeClient so that every request is counted in
 * `trellis_kube_requests_total{verb,kind}`. Verbs follow the API server's names (get, list,
 * create, update, patch, apply, delete, deletecollection, watch); a status write adds `/status`.
 */
export function instrumentKubeClient(client: KubeClient, metrics: EngineMetrics): KubeClient {
  const c = <T>(verb: string, kind: string, result: T): T => {
    metrics.apiRequests.inc({ verb, kind });
    return result;
  };
  const sub = (verb: string, subresource: string | undefined): string => (subresource === undefined ? verb : `${verb}/${subresource}`);
  return {
    get: (ref, opts) => c('get', ref.kind, client.get(ref, opts)),
    getIfExists: (ref, opts) => c('get', ref.kind, client.getIfExists(ref, opts)),
    list: (type, opts) => c('list', type.kind, client.list(type, opts)),
    listAll: (type, opts) => c('list', type.kind, client.listAll(type, opts)),
    create: (obj, opts) => c('create', obj.kind, client.create(obj, opts)),
    update: (obj, opts) => c('update', obj.kind, client.update(obj, opts)),
    updateStatus: (obj, opts) => c('update/status', obj.kind, client.updateStatus(obj, opts)),
    patch: (ref, patch, opts) => c(sub('patch', opts?.subresource), ref.kind, client.patch(ref, patch, opts)),
    apply: (obj, opts) => c(sub('apply', opts.subresource), obj.kind, client.apply(obj, opts)),
    delete: (ref, opts) => c('delete', ref.kind, client.delete(ref, opts)),
    deleteCollection: (type, opts) => c('deletecollection', type.kind, client.deleteCollection(type, opts)),
    watch: (type, opts) => c('watch', type.kind, client.watch(type, opts)),
    resourceFor: (type, opts) => client.resourceFor(type, opts),
    invalidateDiscovery: () => client.invalidateDiscovery(),
    raw: (path, opts) => c('raw', '', client.raw(path, opts)),
  };
}

/**
 * InstrumentFunction wraps a CompositionFunction so each call is timed in
 * `trellis_function_run_duration_seconds{function,result}` (result: ok, fatal, error). The wrapper
 * is as pure as the function (render then gives a pure one a request whose tag is hashed only if read).
 */
export function instrumentFunction(fn: CompositionFunction, name: string, metrics: EngineMetrics): CompositionFunction {
  return {
    ...(fn.pure === true ? { pure: true } : {}),
    async run(req: RunFunctionRequest, opts?: RunOptions) {
      const start = process.hrtime.bigint();
      const seconds = (): number => Number(process.hrtime.bigint() - start) / 1e9;
      try {
        const rsp = await fn.run(req, opts);
        const fatal = (rsp.results ?? []).some((r) => r.severity === 'SEVERITY_FATAL');
        metrics.functionDuration.observe({ function: name, result: fatal ? 'fatal' : 'ok' }, seconds());
        return rsp;
      } catch (err) {
        metrics.functionDuration.observe({ function: name, result: 'error' }, seconds());
        throw err;
      }
    },
  };
}
