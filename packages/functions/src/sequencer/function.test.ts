import { describe, expect, it } from 'vitest';
import type { RunFunctionRequest } from '../protocol/types.ts';
import { parseGoDuration } from './duration.ts';
import { generateUsageName, runSequencer } from './function.ts';

const cm = (name: string) => ({ resource: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } } });
const base = (
  desired: RunFunctionRequest['desired'],
  observed: Record<string, ReturnType<typeof cm>>,
  input: Record<string, unknown>,
): RunFunctionRequest => ({
  observed: { composite: { resource: {} }, resources: observed },
  desired,
  input: { apiVersion: 'sequencer.fn.crossplane.io/v1beta1', kind: 'Input', ...input },
});

describe('sequencer', () => {
  it('removes a later resource until the earlier one is ready', () => {
    const rsp = runSequencer(base({ resources: { a: cm('a'), b: cm('b') } }, {}, { rules: [{ sequence: ['a', 'b'] }] }));
    expect(Object.keys(rsp.desired?.resources ?? {})).toEqual(['a']);
    const ready = runSequencer(
      base({ resources: { a: { ...cm('a'), ready: 'READY_TRUE' }, b: cm('b') } }, {}, { rules: [{ sequence: ['a', 'b'] }] }),
    );
    expect(Object.keys(ready.desired?.resources ?? {}).sort()).toEqual(['a', 'b']);
  });

  it('never removes a resource that already exists', () => {
    const rsp = runSequencer(base({ resources: { a: cm('a'), b: cm('b') } }, { b: cm('b') }, { rules: [{ sequence: ['a', 'b'] }] }));
    expect(Object.keys(rsp.desired?.resources ?? {}).sort()).toEqual(['a', 'b']);
  });

  it('generates Usages for deletion sequencing', () => {
    const rsp = runSequencer(
      base(
        { resources: { a: cm('a'), b: cm('b') } },
        { a: cm('a'), b: cm('b') },
        { enableDeletionSequencing: true, rules: [{ sequence: ['a', 'b'] }] },
      ),
    );
    expect(rsp.desired?.resources?.['b-a-usage']?.resource).toMatchObject({
      apiVersion: 'protection.crossplane.io/v1beta1',
      kind: 'ClusterUsage',
      spec: { by: { resourceRef: { name: 'b' } }, of: { resourceRef: { name: 'a' } } },
    });
  });

  it('reports CEL conditions, bad regexps and bad TTLs as fatal results', () => {
    const f = (input: Record<string, unknown>) =>
      (runSequencer(base({ resources: { a: cm('a'), b: cm('b') } }, {}, input)).results ?? [])
        .filter((r) => r.severity === 'SEVERITY_FATAL')
        .map((r) => r.message);
    expect(f({ rules: [{ condition: 'true', sequence: ['a', 'b'] }] })[0]).toContain('CEL conditions are not supported');
    expect(f({ rules: [{ sequence: ['(', 'b'] }] })[0]).toContain('cannot compile regex (');
    expect(f({ cacheTTL: '5x', rules: [] })).toEqual(['cannot set cacheTTL: time: unknown unit "x" in duration "5x"']);
  });

  it('names Usages within 63 characters', () => {
    expect(generateUsageName('a'.repeat(100), 'dependency').length).toBeLessThanOrEqual(63);
    expect(parseGoDuration('1h30m')).toBe(5400);
  });
});
