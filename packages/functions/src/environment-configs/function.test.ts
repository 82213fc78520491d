import { describe, expect, it } from 'vitest';
import type { RunFunctionRequest } from '../protocol/types.ts';
import { mergeMaps, runEnvironmentConfigs } from './function.ts';

const ec = (name: string, data: unknown, labels: Record<string, string> = {}) => ({
  resource: { apiVersion: 'apiextensions.crossplane.io/v1beta1', kind: 'EnvironmentConfig', metadata: { name, labels }, data },
});
const xr = { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a' }, spec: { env: 'prod' } };
const req = (
  spec: Record<string, unknown>,
  required?: RunFunctionRequest['requiredResources'],
  context?: Record<string, unknown>,
): RunFunctionRequest => {
  const r: RunFunctionRequest = {
    observed: { composite: { resource: xr } },
    input: { apiVersion: 'environmentconfigs.fn.crossplane.io/v1beta1', kind: 'Input', spec },
  };
  if (required !== undefined) r.requiredResources = required;
  if (context !== undefined) r.context = context;
  return r;
};
const env = (rsp: ReturnType<typeof runEnvironmentConfigs>) => rsp.context?.['apiextensions.crossplane.io/environment'];
const fatal = (rsp: ReturnType<typeof runEnvironmentConfigs>) =>
  (rsp.results ?? []).filter((r) => r.severity === 'SEVERITY_FATAL').map((r) => r.message);

describe('environment-configs', () => {
  it('asks for its EnvironmentConfigs first', () => {
    const rsp = runEnvironmentConfigs(
      req({
        environmentConfigs: [
          { ref: { name: 'a' } },
          { type: 'Selector', selector: { matchLabels: [{ key: 'env', valueFromFieldPath: 'spec.env' }] } },
        ],
      }),
    );
    expect(rsp.requirements?.resources).toEqual({
      'environment-config-0': { apiVersion: 'apiextensions.crossplane.io/v1beta1', kind: 'EnvironmentConfig', matchName: 'a' },
      'environment-config-1': {
        apiVersion: 'apiextensions.crossplane.io/v1beta1',
        kind: 'EnvironmentConfig',
        matchLabels: { labels: { env: 'prod' } },
      },
    });
    expect(env(rsp)).toBeUndefined();
  });

  it('merges in order over defaultData and the existing environment', () => {
    const rsp = runEnvironmentConfigs(
      req(
        { defaultData: { d: 1, o: { x: 0 } }, environmentConfigs: [{ ref: { name: 'a' } }, { ref: { name: 'b' } }] },
        {
          'environment-config-0': { items: [ec('a', { o: { x: 1, y: 1 } })] },
          'environment-config-1': { items: [ec('b', { o: { y: 2 } })] },
        },
        { 'apiextensions.crossplane.io/environment': { prior: true } },
      ),
    );
    expect(fatal(rsp)).toEqual([]);
    expect(env(rsp)).toEqual({ d: 1, prior: true, o: { x: 1, y: 2 }, apiVersion: 'internal.crossplane.io/v1alpha1', kind: 'Environment' });
  });

  it('fails on a missing required reference, and tolerates it under the Optional policy', () => {
    const spec = { environmentConfigs: [{ ref: { name: 'gone' } }] };
    expect(fatal(runEnvironmentConfigs(req(spec, { 'environment-config-0': { items: [] } })))).toEqual([
      'cannot get selected environment configs: cannot process environment config "gone" by reference, "environment-config-0": Required environment config "gone" not found',
    ]);
    expect(
      fatal(runEnvironmentConfigs(req({ ...spec, policy: { resolution: 'Optional' } }, { 'environment-config-0': { items: [] } }))),
    ).toEqual([]);
  });

  it('reports a failing label source and a Single selector matching several', () => {
    expect(
      fatal(
        runEnvironmentConfigs(
          req({ environmentConfigs: [{ type: 'Selector', selector: { matchLabels: [{ key: 'k', valueFromFieldPath: 'spec.nope' }] } }] }),
        ),
      ),
    ).toEqual(['cannot build requirements: cannot get value from field path "spec.nope": spec.nope: no such field']);
    const rsp = runEnvironmentConfigs(
      req(
        { environmentConfigs: [{ type: 'Selector', selector: { matchLabels: [{ key: 'k', type: 'Value', value: 'v' }] } }] },
        { 'environment-config-0': { items: [ec('a', {}), ec('b', {})] } },
      ),
    );
    expect(fatal(rsp)).toEqual([
      'cannot get selected environment configs: cannot process environment config "environment-config-0" by selector: expected exactly one required resource, got 2',
    ]);
  });

  it('mergeMaps replaces non-objects and recurses into objects', () => {
    expect(mergeMaps({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2] }, d: { e: 1 } })).toEqual({ a: { b: 1, c: [2] }, d: { e: 1 } });
  });
});
