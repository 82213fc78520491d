import { hasCode, type KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { decodeDependencies, encodeDependencies, planGarbage } from './inventory.ts';
import { type ApplyPlan, type Dependencies, type NodeState, planApply, planDeletion } from './order.ts';

const n = (name: string, exists = false, ready = false): NodeState => ({ name, exists, ready });

interface ApplyCase {
  reason: string;
  nodes: NodeState[];
  deps: Dependencies;
  want: ApplyPlan | { code: string };
}

const applyCases: Record<string, ApplyCase> = {
  NoDependencies: {
    reason: 'independent resources are applied together in declaration order',
    nodes: [n('b'), n('a'), n('c')],
    deps: {},
    want: { waves: [['b', 'a', 'c']], blocked: [] },
  },
  CreateWaitsForReady: {
    reason: 'a resource is not created while its dependency does not exist',
    nodes: [n('app'), n('db')],
    deps: { app: ['db'] },
    want: { waves: [['db']], blocked: [{ name: 'app', waitingOn: ['db'] }] },
  },
  ExistsButUnready: {
    reason: 'an existing but unready dependency still blocks creation',
    nodes: [n('app'), n('db', true, false)],
    deps: { app: ['db'] },
    want: { waves: [['db']], blocked: [{ name: 'app', waitingOn: ['db'] }] },
  },
  ReadyDependency: {
    reason: 'once the dependency is ready the dependent is created in a later wave',
    nodes: [n('app'), n('db', true, true)],
    deps: { app: ['db'] },
    want: { waves: [['db'], ['app']], blocked: [] },
  },
  ExistingDependentUpdated: {
    reason: 'a dependent that already exists is updated even when its dependency became unready',
    nodes: [n('app', true, true), n('db', true, false)],
    deps: { app: ['db'] },
    want: { waves: [['db'], ['app']], blocked: [] },
  },
  Transitive: {
    reason: 'a blocked dependency blocks its dependents transitively',
    nodes: [n('a'), n('b'), n('c', true, true)],
    deps: { a: ['b'], b: ['c'] },
    want: { waves: [['c'], ['b']], blocked: [{ name: 'a', waitingOn: ['b'] }] },
  },
  MissingDependency: {
    reason: 'a dependency that is not in the desired state blocks the dependent',
    nodes: [n('app')],
    deps: { app: ['ghost'] },
    want: { waves: [], blocked: [{ name: 'app', waitingOn: ['ghost'] }] },
  },
  Cycle: {
    reason: 'a cycle is an error before anything is applied',
    nodes: [n('a'), n('b')],
    deps: { a: ['b'], b: ['a'] },
    want: { code: 'ENGINE_DEPENDENCY_CYCLE' },
  },
};

describe('planApply', () => {
  describe.each(Object.entries(applyCases))('%s', (_name, tc) => {
    it(tc.reason, () => {
      if ('code' in tc.want) {
        let err: unknown;
        try {
          planApply(tc.nodes, tc.deps);
        } catch (e) {
          err = e;
        }
        expect(hasCode(err, tc.want.code)).toBe(true);
        return;
      }
      expect(planApply(tc.nodes, tc.deps)).toEqual(tc.want);
    });
  });
});

interface DeleteCase {
  reason: string;
  present: string[];
  deps: Dependencies;
  want: string[];
}

const deleteCases: Record<string, DeleteCase> = {
  Flat: { reason: 'without edges everything goes at once', present: ['a', 'b'], deps: {}, want: ['a', 'b'] },
  DependentsFirst: {
    reason: 'dependents are deleted before what they depend on',
    present: ['db', 'app', 'net'],
    deps: { app: ['db'], db: ['net'] },
    want: ['app'],
  },
  NextWave: {
    reason: 'once the dependent is gone its dependency is next',
    present: ['db', 'net'],
    deps: { app: ['db'], db: ['net'] },
    want: ['db'],
  },
  EdgesToAbsent: {
    reason: 'edges to resources that are already gone do not block',
    present: ['net'],
    deps: { app: ['db'], db: ['net'] },
    want: ['net'],
  },
  Cycle: {
    reason: 'a cyclic stored graph deletes everything present',
    present: ['a', 'b'],
    deps: { a: ['b'], b: ['a'] },
    want: ['a', 'b'],
  },
  Empty: { reason: 'nothing present, nothing to delete', present: [], deps: { a: ['b'] }, want: [] },
};

describe('planDeletion', () => {
  describe.each(Object.entries(deleteCases))('%s', (_name, tc) => {
    it(tc.reason, () => expect(planDeletion(tc.present, tc.deps)).toEqual(tc.want));
  });
});

describe('dependencies annotation', () => {
  const cases = {
    RoundTrip: { reason: 'sorted, de-duplicated, empty lists dropped', deps: { b: ['z', 'y', 'z'], a: [] }, want: '{"b":["y","z"]}' },
    NoEdges: { reason: 'no edges means no annotation', deps: { a: [] }, want: undefined },
  };
  describe.each(Object.entries(cases))('%s', (_name, tc) => {
    it(tc.reason, () => {
      const enc = encodeDependencies(tc.deps);
      expect(enc).toBe(tc.want);
      if (enc !== undefined) expect(decodeDependencies(enc)).toEqual({ deps: JSON.parse(enc) });
    });
  });

  const bad = {
    NotJson: { reason: 'invalid JSON is reported, with no edges', value: '{', want: /not valid JSON/ },
    NotObject: { reason: 'an array is reported', value: '[1]', want: /must be a JSON object/ },
    NotStrings: {
      reason: 'non-string entries are reported with their key',
      value: '{"a":[1]}',
      want: /key "a" must be an array of strings/,
    },
  };
  describe.each(Object.entries(bad))('%s', (_name, tc) => {
    it(tc.reason, () => {
      const got = decodeDependencies(tc.value);
      expect(got.deps).toEqual({});
      expect(got.error).toMatch(tc.want);
    });
  });
});

describe('planGarbage', () => {
  const obj = (name: string, controllerUid?: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      ...(controllerUid === undefined
        ? {}
        : { ownerReferences: [{ apiVersion: 'x/v1', kind: 'XR', name: 'o', uid: controllerUid, controller: true }] }),
    },
  });
  it('deletes only undesired resources this XR controls, sorted by name', () => {
    const observed = new Map([
      ['keep', obj('keep', 'me')],
      ['b-mine', obj('b', 'me')],
      ['a-mine', obj('a', 'me')],
      ['theirs', obj('t', 'other')],
      ['nobody', obj('n')],
    ]);
    const plan = planGarbage(observed, new Set(['keep']), 'me');
    expect(plan.delete.map((d) => d.name)).toEqual(['a-mine', 'b-mine']);
    expect(plan.foreign.map((d) => d.name)).toEqual(['theirs']);
    expect(plan.uncontrolled).toEqual(['nobody']);
  });
});
