import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GoError } from '../errors.ts';
import { decode, decodeResources, resourcesShape } from './input.ts';

/** Slow is the reference decoder (it builds a field path for every value it visits). */
function slow(input: unknown): { value?: unknown; err?: string } {
  try {
    return { value: decode(input ?? {}, resourcesShape) ?? {} };
  } catch (e) {
    return { err: (e as Error).message };
  }
}

function fast(input: unknown): { value?: unknown; err?: string } {
  try {
    return { value: decodeResources(input) };
  } catch (e) {
    expect(e).toBeInstanceOf(GoError);
    return { err: (e as Error).message };
  }
}

describe('decodeResources', () => {
  const patch = { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.a', toFieldPath: 'spec.b', policy: { toFieldPath: 'MergeObjects' } };
  const cases: Record<string, { reason: string; input: unknown; err?: string }> = {
    Empty: { reason: 'no input decodes to an empty object', input: undefined },
    Full: {
      reason: 'every part of the input survives, unknown fields and nulls are dropped',
      input: {
        apiVersion: 'pt.fn.crossplane.io/v1beta1',
        kind: 'Resources',
        unknown: 1,
        patchSets: [{ name: 'ps', patches: [patch] }],
        environment: { patches: [patch] },
        resources: [
          {
            name: 'r',
            base: { apiVersion: 'v1', kind: 'ConfigMap', data: null },
            patches: [
              { type: 'PatchSet', patchSetName: 'ps' },
              {
                fromFieldPath: 'spec.size',
                transforms: [
                  { type: 'map', map: { small: 's', nil: null, obj: { a: 1 } } },
                  { type: 'math', math: { type: 'Multiply', multiply: 2 } },
                  { type: 'match', match: { patterns: [{ type: 'literal', literal: 'a', result: { x: 1 } }], fallbackValue: null } },
                ],
                policy: null,
              },
            ],
            connectionDetails: [{ name: 'c', type: 'FromValue', value: 'v' }],
            readinessChecks: [{ type: 'MatchInteger', fieldPath: 'status.n', matchInteger: 3 }],
          },
        ],
        writeConnectionSecretToRef: { name: 's', namespace: 'ns', patches: [patch] },
      },
    },
    WrongString: {
      reason: 'a number where a string belongs names its path',
      input: { resources: [{ name: 1 }] },
      err: 'resources[0].name',
    },
    WrongInt: {
      reason: 'a fraction where an int belongs is an error',
      input: { resources: [{ name: 'r', patches: [{ transforms: [{ math: { multiply: 1.5 } }] }] }] },
      err: 'resources[0].patches[0].transforms[0].math.multiply',
    },
    WrongArray: { reason: 'an object where a list belongs is an error', input: { resources: {} }, err: 'resources' },
    WrongObject: { reason: 'a list where an object belongs is an error', input: { resources: [{ base: [] }] }, err: 'resources[0].base' },
    WrongMap: {
      reason: 'a map transform must be an object',
      input: { resources: [{ patches: [{ transforms: [{ map: 'x' }] }] }] },
      err: 'map',
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => {
      const got = fast(c.input);
      expect(got).toStrictEqual(slow(c.input));
      if (c.err !== undefined) expect(got.err).toContain(c.err);
      else expect(got.err).toBeUndefined();
    });
  }

  it('Property: equals the reference decoder, result or error, on any JSON input', () => {
    const leaf = fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
    const shaped = fc.letrec((tie) => ({
      any: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('any'), { maxLength: 3 }), tie('obj')),
      obj: fc.dictionary(
        fc.constantFrom(
          'name',
          'base',
          'patches',
          'type',
          'fromFieldPath',
          'transforms',
          'math',
          'multiply',
          'map',
          'resources',
          'patchSets',
          'x',
        ),
        tie('any'),
        { maxKeys: 4 },
      ),
    })).obj;
    fc.assert(
      fc.property(shaped, (input) => {
        expect(fast(input)).toStrictEqual(slow(input));
      }),
      { numRuns: 400, seed: 11 },
    );
  });
});
