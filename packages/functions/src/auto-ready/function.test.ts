import { describe, expect, it } from 'vitest';
import { runAutoReady } from './function.ts';

const cases: Record<string, { reason: string; observed: Record<string, unknown>; want: string }> = {
  ReadyCondition: {
    reason: 'a Ready=True condition',
    observed: { apiVersion: 'x/v1', kind: 'Bucket', status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    want: 'READY_TRUE',
  },
  NotReady: {
    reason: 'a Ready=False condition',
    observed: { apiVersion: 'x/v1', kind: 'Bucket', status: { conditions: [{ type: 'Ready', status: 'False' }] } },
    want: 'READY_UNSPECIFIED',
  },
  ConfigMap: { reason: 'ConfigMaps are always ready', observed: { apiVersion: 'v1', kind: 'ConfigMap' }, want: 'READY_TRUE' },
  Deployment: {
    reason: 'a rolled-out Deployment',
    observed: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      spec: { replicas: 2 },
      status: { updatedReplicas: 2, availableReplicas: 2, conditions: [{ type: 'Available', status: 'True' }] },
    },
    want: 'READY_TRUE',
  },
  Rolling: {
    reason: 'a Deployment mid-rollout',
    observed: { apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 2 }, status: { updatedReplicas: 1, availableReplicas: 2 } },
    want: 'READY_UNSPECIFIED',
  },
  LoadBalancer: {
    reason: 'a LoadBalancer Service without ingress',
    observed: { apiVersion: 'v1', kind: 'Service', spec: { type: 'LoadBalancer' } },
    want: 'READY_UNSPECIFIED',
  },
  Job: {
    reason: 'a completed Job',
    observed: { apiVersion: 'batch/v1', kind: 'Job', status: { conditions: [{ type: 'Complete', status: 'True' }] } },
    want: 'READY_TRUE',
  },
  Hostile: {
    reason: 'ill-typed status fields do not throw',
    observed: { apiVersion: 'apps/v1', kind: 'Deployment', status: 'nope' },
    want: 'READY_UNSPECIFIED',
  },
};

describe('auto-ready', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => {
      const rsp = runAutoReady({
        observed: { resources: { r: { resource: c.observed } } },
        desired: { resources: { r: { resource: {} }, other: { resource: {} } } },
      });
      expect(rsp.desired?.resources?.r?.ready).toBe(c.want);
      expect(rsp.desired?.resources?.other?.ready).toBe('READY_UNSPECIFIED');
    });
  }
  it('keeps readiness an earlier step decided', () => {
    const rsp = runAutoReady({
      observed: { resources: { r: { resource: { apiVersion: 'v1', kind: 'ConfigMap' } } } },
      desired: { resources: { r: { resource: {}, ready: 'READY_FALSE' } } },
    });
    expect(rsp.desired?.resources?.r?.ready).toBe('READY_FALSE');
  });
});
