import { describe, expect, it } from 'vitest';
import { CycleError, Dag, MissingNodeError } from './index.ts';

interface Case {
  reason: string;
  nodes: string[];
  edges: [string, string][];
  want: { order?: string[]; layers?: string[][]; cycle?: string[]; missing?: [string, string] };
}

const cases: Record<string, Case> = {
  Empty: { reason: 'an empty graph has no layers', nodes: [], edges: [], want: { order: [], layers: [] } },
  Independent: {
    reason: 'nodes without edges keep declaration order in one layer',
    nodes: ['c', 'a', 'b'],
    edges: [],
    want: { order: ['c', 'a', 'b'], layers: [['c', 'a', 'b']] },
  },
  Chain: {
    reason: 'a dependency comes before its dependent even when declared later',
    nodes: ['app', 'db', 'net'],
    edges: [
      ['app', 'db'],
      ['db', 'net'],
    ],
    want: { order: ['net', 'db', 'app'], layers: [['net'], ['db'], ['app']] },
  },
  Diamond: {
    reason: 'ties inside a layer are broken by declaration order',
    nodes: ['top', 'right', 'left', 'bottom'],
    edges: [
      ['top', 'left'],
      ['top', 'right'],
      ['left', 'bottom'],
      ['right', 'bottom'],
    ],
    want: { order: ['bottom', 'right', 'left', 'top'], layers: [['bottom'], ['right', 'left'], ['top']] },
  },
  Cycle: {
    reason: 'a cycle is named from its earliest-declared node, whatever the edge order',
    nodes: ['x', 'b', 'c', 'a'],
    edges: [
      ['c', 'a'],
      ['a', 'b'],
      ['b', 'c'],
      ['x', 'a'],
    ],
    want: { cycle: ['b', 'c', 'a', 'b'] },
  },
  SelfLoop: { reason: 'a self edge is a cycle of one', nodes: ['a'], edges: [['a', 'a']], want: { cycle: ['a', 'a'] } },
  Missing: {
    reason: 'an edge to an unknown node is a typed error',
    nodes: ['a'],
    edges: [['a', 'ghost']],
    want: { missing: ['a', 'ghost'] },
  },
};

describe.each(Object.entries(cases))('%s', (_name, tc) => {
  it(tc.reason, () => {
    const g = new Dag<number>();
    for (const [i, n] of tc.nodes.entries()) g.addNode(n, i);
    for (const [from, to] of tc.edges) g.addEdge(from, to);
    if (tc.want.cycle !== undefined) {
      const err = (() => {
        try {
          g.order();
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(CycleError);
      expect((err as CycleError).cycle).toEqual(tc.want.cycle);
      expect(g.cycle()).toEqual(tc.want.cycle);
      return;
    }
    if (tc.want.missing !== undefined) {
      expect(() => g.order()).toThrow(MissingNodeError);
      return;
    }
    expect(g.order()).toEqual(tc.want.order);
    expect(g.layers()).toEqual(tc.want.layers);
    expect(g.reverseLayers()).toEqual([...(tc.want.layers ?? [])].reverse());
    expect(g.cycle()).toBeUndefined();
  });
});

describe('large graphs', () => {
  it('sorts 100,000 nodes in a chain without recursion limits in the sort', () => {
    const g = new Dag();
    for (let i = 0; i < 100_000; i++) g.addNode(`n${i}`, undefined);
    for (let i = 1; i < 100_000; i++) g.addEdge(`n${i}`, `n${i - 1}`);
    const order = g.order();
    expect(order[0]).toBe('n0');
    expect(order.at(-1)).toBe('n99999');
  });

  it('reports dependencies and dependents in declaration order', () => {
    const g = new Dag().addNode('a', undefined).addNode('b', undefined).addNode('c', undefined);
    g.addEdge('c', 'b').addEdge('c', 'a');
    expect(g.dependenciesOf('c')).toEqual(['a', 'b']);
    expect(g.dependentsOf('a')).toEqual(['c']);
  });
});
