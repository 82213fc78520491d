import { describe, expect, it } from 'vitest';
import { diffLines, unifiedDiff } from './diff.ts';

function apply(edits: ReturnType<typeof diffLines>): { a: string[]; b: string[] } {
  return { a: edits.filter((e) => e.op !== '+').map((e) => e.line), b: edits.filter((e) => e.op !== '-').map((e) => e.line) };
}

describe('diffLines', () => {
  const cases = {
    Equal: { reason: 'equal inputs need no edits', a: ['x', 'y'], b: ['x', 'y'], changes: 0 },
    Insert: { reason: 'an insertion is one edit', a: ['a', 'c'], b: ['a', 'b', 'c'], changes: 1 },
    Delete: { reason: 'a deletion is one edit', a: ['a', 'b', 'c'], b: ['a', 'c'], changes: 1 },
    Replace: { reason: 'a changed line is a delete and an insert', a: ['a', 'b', 'c'], b: ['a', 'x', 'c'], changes: 2 },
    FromEmpty: { reason: 'everything is inserted into nothing', a: [], b: ['a', 'b'], changes: 2 },
    ToEmpty: { reason: 'everything is deleted', a: ['a', 'b'], b: [], changes: 2 },
    Shuffled: { reason: 'the script is minimal', a: ['a', 'b', 'c', 'a', 'b', 'b', 'a'], b: ['c', 'b', 'a', 'b', 'a', 'c'], changes: 5 },
  };
  describe.each(Object.entries(cases))('%s', (_name, tc) => {
    it(tc.reason, () => {
      const edits = diffLines(tc.a, tc.b);
      expect(apply(edits)).toEqual({ a: tc.a, b: tc.b });
      expect(edits.filter((e) => e.op !== ' ').length).toBe(tc.changes);
    });
  });
});

describe('unifiedDiff', () => {
  it('prints hunks with three lines of context', () => {
    const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].join('\n');
    const after = ['a', 'b', 'c', 'd', 'E', 'f', 'g', 'h', 'i', 'j'].join('\n');
    expect(unifiedDiff(before, after)).toBe('@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n');
  });
  it('prints nothing for equal texts and summarises huge ones', () => {
    expect(unifiedDiff('a\n', 'a\n')).toBe('');
    expect(unifiedDiff('x\n'.repeat(30_000), 'y\n')).toMatch(/too large to diff: 30000 lines before, 1 after/);
  });
  it('separates distant changes into hunks', () => {
    const a = Array.from({ length: 30 }, (_, i) => `l${i}`);
    const b = [...a];
    b[2] = 'X';
    b[25] = 'Y';
    const d = unifiedDiff(a.join('\n'), b.join('\n'));
    expect(d.match(/^@@/gm)?.length).toBe(2);
  });
});
