/**
 * The built-in function-auto-ready (v0.6.x): every desired composed resource whose readiness no
 * earlier step decided becomes READY_TRUE when its observed counterpart is ready, first by a
 * kind-specific health check (Deployment, StatefulSet, Job, Service, ...), then by its Ready
 * condition.
 */
import type { JsonMap } from '../fieldpath/fieldpath.ts';
import type { CompositionFunction, Resource, RunFunctionRequest, RunFunctionResponse } from '../protocol/types.ts';
import { guarded, responseTo } from '../response.ts';

type HealthCheck = (o: JsonMap) => boolean;

function nested(o: unknown, ...path: string[]): unknown {
  let it = o;
  for (const p of path) {
    if (typeof it !== 'object' || it === null || Array.isArray(it)) return undefined;
    it = (it as JsonMap)[p];
  }
  return it;
}

/** Int64Field is auto-ready's getInt64Field: ints and floats (truncated), nothing else. */
function int64Field(o: JsonMap, ...path: string[]): number | undefined {
  const v = nested(o, ...path);
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

function conditions(o: JsonMap): JsonMap[] {
  const c = nested(o, 'status', 'conditions');
  return Array.isArray(c) ? (c.filter((x) => typeof x === 'object' && x !== null) as JsonMap[]) : [];
}

function conditionTrue(o: JsonMap, type: string): boolean {
  return conditions(o).some((c) => c.type === type && c.status === 'True');
}

const alwaysReady: HealthCheck = () => true;

function deployment(o: JsonMap): boolean {
  const spec = int64Field(o, 'spec', 'replicas') ?? 1;
  const updated = int64Field(o, 'status', 'updatedReplicas');
  const available = int64Field(o, 'status', 'availableReplicas');
  if (updated === undefined || available === undefined) return false;
  if (spec !== updated || spec !== available) return false;
  if (!Array.isArray(nested(o, 'status', 'conditions'))) return false;
  return conditions(o).some((c) => c.type === 'Available' && c.status === 'True');
}

function statefulSet(o: JsonMap): boolean {
  const spec = int64Field(o, 'spec', 'replicas') ?? 1;
  const ready = int64Field(o, 'status', 'readyReplicas');
  const current = int64Field(o, 'status', 'currentReplicas');
  if (ready === undefined || current === undefined) return false;
  if (spec !== ready || spec !== current) return false;
  const cur = nested(o, 'status', 'currentRevision');
  const upd = nested(o, 'status', 'updateRevision');
  if (typeof cur !== 'string' || typeof upd !== 'string') return false;
  return cur === upd;
}

function daemonSet(o: JsonMap): boolean {
  const desired = int64Field(o, 'status', 'desiredNumberScheduled');
  const ready = int64Field(o, 'status', 'numberReady');
  const updated = int64Field(o, 'status', 'updatedNumberScheduled');
  const available = int64Field(o, 'status', 'numberAvailable');
  if (desired === undefined || ready === undefined || updated === undefined || available === undefined) return false;
  return desired === ready && updated === desired && available === desired;
}

function replicaSet(o: JsonMap): boolean {
  const observedGen = int64Field(o, 'status', 'observedGeneration') ?? 0;
  const gen = int64Field(o, 'metadata', 'generation') ?? 0;
  if (observedGen < gen) return false;
  if (conditionTrue(o, 'ReplicaFailure')) return false;
  const desired = int64Field(o, 'spec', 'replicas') ?? 1;
  return (int64Field(o, 'status', 'availableReplicas') ?? 0) >= desired;
}

function job(o: JsonMap): boolean {
  for (const c of conditions(o)) {
    if ((c.type === 'Failed' || c.type === 'Suspended') && c.status === 'True') return false;
    if (c.type === 'Complete' && c.status === 'True') return true;
  }
  return false;
}

function time(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

function cronJob(o: JsonMap): boolean {
  if (nested(o, 'spec', 'suspend') === true) return true;
  const lastSchedule = time(nested(o, 'status', 'lastScheduleTime'));
  if (lastSchedule === undefined) return false;
  const active = nested(o, 'status', 'active');
  if (Array.isArray(active) && active.length > 0) return true;
  const lastSuccess = time(nested(o, 'status', 'lastSuccessfulTime'));
  if (lastSuccess === undefined) return false;
  return lastSuccess >= lastSchedule;
}

function hpa(o: JsonMap): boolean {
  for (const c of conditions(o)) {
    if (
      ['FailedGetScale', 'FailedUpdateScale', 'FailedGetResourceMetric', 'InvalidSelector'].includes(String(c.type)) &&
      c.status === 'True'
    )
      return false;
    if ((c.type === 'ScalingActive' || c.type === 'ScalingLimited') && c.status === 'True') return true;
  }
  return false;
}

function loadBalancerReady(o: JsonMap): boolean {
  const ing = nested(o, 'status', 'loadBalancer', 'ingress');
  return Array.isArray(ing) && ing.length > 0;
}

function service(o: JsonMap): boolean {
  const t = nested(o, 'spec', 'type');
  if ((typeof t === 'string' ? t : 'ClusterIP') !== 'LoadBalancer') return true;
  return loadBalancerReady(o);
}

function pvc(o: JsonMap): boolean {
  return nested(o, 'status', 'phase') === 'Bound';
}

function pod(o: JsonMap): boolean {
  const phase = nested(o, 'status', 'phase');
  if (phase === 'Succeeded') return true;
  if (phase !== 'Running') return false;
  if (nested(o, 'spec', 'restartPolicy') !== 'Always') return false;
  return conditionTrue(o, 'Ready');
}

const HEALTH_CHECKS: Record<string, HealthCheck> = {
  'v1/ConfigMap': alwaysReady,
  'v1/Namespace': alwaysReady,
  'v1/Secret': alwaysReady,
  'v1/ServiceAccount': alwaysReady,
  'v1/Service': service,
  'v1/PersistentVolumeClaim': pvc,
  'v1/Pod': pod,
  'apps/v1/Deployment': deployment,
  'apps/v1/StatefulSet': statefulSet,
  'apps/v1/DaemonSet': daemonSet,
  'apps/v1/ReplicaSet': replicaSet,
  'batch/v1/Job': job,
  'batch/v1/CronJob': cronJob,
  'autoscaling/v2/HorizontalPodAutoscaler': hpa,
  'networking.k8s.io/v1/Ingress': loadBalancerReady,
};

/** HealthCheckFor returns the kind-specific health check for an object, if any. */
export function healthCheckFor(o: JsonMap): HealthCheck | undefined {
  return HEALTH_CHECKS[`${String(o.apiVersion ?? '')}/${String(o.kind ?? '')}`];
}

export function runAutoReady(req: RunFunctionRequest): RunFunctionResponse {
  return guarded(req, 'function-auto-ready', () => runAutoReadyUnguarded(req));
}

function runAutoReadyUnguarded(req: RunFunctionRequest): RunFunctionResponse {
  const rsp = responseTo(req, 60);
  const observed = req.observed?.resources ?? {};
  const desired: Record<string, Resource> = {};
  for (const [name, r] of Object.entries(rsp.desired?.resources ?? {})) {
    const dr: Resource = { ...r, ready: r.ready ?? 'READY_UNSPECIFIED' };
    const or = observed[name];
    if (or !== undefined && dr.ready === 'READY_UNSPECIFIED') {
      const check = healthCheckFor(or.resource);
      if (check?.(or.resource) || conditionTrue(or.resource, 'Ready')) dr.ready = 'READY_TRUE';
    }
    desired[name] = dr;
  }
  rsp.desired = { ...(rsp.desired ?? {}), resources: desired };
  return rsp;
}

export class AutoReady implements CompositionFunction {
  readonly pure = true;
  async run(req: RunFunctionRequest): Promise<RunFunctionResponse> {
    return runAutoReady(req);
  }
}
