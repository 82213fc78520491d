import { hasCode } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { convertResourcesComposition, isResourcesMode } from './convert.ts';

const comp = (spec: Record<string, unknown>) => ({
  apiVersion: 'apiextensions.crossplane.io/v1',
  kind: 'Composition',
  metadata: { name: 'c' },
  spec: { compositeTypeRef: { apiVersion: 'x/v1', kind: 'X' }, ...spec },
});

describe('convertResourcesComposition', () => {
  it('types untyped patches and transforms, converts mergeOptions and names anonymous resources', () => {
    const { composition, converted } = convertResourcesComposition(
      comp({
        writeConnectionSecretsToNamespace: 'ns',
        patchSets: [{ name: 'p', patches: [{ fromFieldPath: 'a' }] }],
        resources: [
          {
            base: {},
            patches: [
              {
                fromFieldPath: 'spec.a',
                transforms: [{ string: { fmt: '%s' } }, { math: { multiply: 2 } }, { map: { a: 'b' } }],
                policy: { mergeOptions: { keepMapValues: true, appendSlice: true } },
              },
            ],
          },
          { name: 'named', connectionDetails: [{ fromConnectionSecretKey: 'password' }, { name: 'v', value: 'x' }] },
        ],
      }),
    );
    expect(converted).toBe(true);
    const spec = composition.spec as Record<string, unknown>;
    expect(spec.mode).toBe('Pipeline');
    expect(spec.resources).toBeUndefined();
    expect(spec.writeConnectionSecretsToNamespace).toBe('ns');
    const step = (spec.pipeline as Record<string, unknown>[])[0] as Record<string, unknown>;
    expect(step.functionRef).toEqual({ name: 'function-patch-and-transform' });
    const input = step.input as { resources: Record<string, unknown>[]; patchSets: Record<string, unknown>[] };
    expect(input.patchSets[0]).toEqual({ name: 'p', patches: [{ fromFieldPath: 'a', type: 'FromCompositeFieldPath' }] });
    expect(input.resources[0]?.name).toBe('resource-0');
    expect(input.resources[0]?.patches).toEqual([
      {
        type: 'FromCompositeFieldPath',
        fromFieldPath: 'spec.a',
        transforms: [
          { type: 'string', string: { type: 'Format', fmt: '%s' } },
          { type: 'math', math: { type: 'Multiply', multiply: 2 } },
          { type: 'map', map: { a: 'b' } },
        ],
        policy: { toFieldPath: 'MergeObjectsAppendArrays' },
      },
    ]);
    expect(input.resources[1]?.connectionDetails).toEqual([
      { name: 'password', fromConnectionSecretKey: 'password', type: 'FromConnectionSecretKey' },
      { name: 'v', value: 'x', type: 'FromValue' },
    ]);
  });

  it('leaves a Pipeline Composition alone and refuses other kinds', () => {
    const p = comp({ mode: 'Pipeline', pipeline: [] });
    expect(convertResourcesComposition(p)).toEqual({ composition: p, converted: false });
    expect(isResourcesMode(comp({ resources: [] }))).toBe(true);
    expect(isResourcesMode(p)).toBe(false);
    let err: unknown;
    try {
      convertResourcesComposition({ apiVersion: 'v1', kind: 'ConfigMap' });
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, 'FUNCTIONS_INVALID_INPUT')).toBe(true);
  });
});
