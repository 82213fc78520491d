/**
 * Line diffs for `trellis plan`: Myers' O(ND) algorithm over lines, printed as unified hunks
 * (`@@ -a,b +c,d @@`, three lines of context). Inputs past MaxDiffLines are summarised instead of
 * diffed, so a huge object cannot stall the plan.
 */

export type Edit = { op: ' ' | '-' | '+'; line: string };

/** MaxDiffLines bounds each side of a diff. */
export const MaxDiffLines = 20_000;

/** MaxEdits bounds the edit distance searched; beyond it the diff replaces everything. */
export const MaxEdits = 4000;

/** DiffLines returns the shortest edit script turning `a` into `b`. */
export function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  // Each step keeps only the diagonals it could reach (2d+3 entries): memory O(D²), not O(D·N).
  const trace: { lo: number; arr: Int32Array }[] = [];
  const keep = (d: number): void => {
    const lo = Math.max(0, offset - d - 1);
    trace.push({ lo, arr: v.slice(lo, Math.min(v.length, offset + d + 2)) });
  };
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    if (d > MaxEdits) {
      return [...a.map((line) => ({ op: '-' as const, line })), ...b.map((line) => ({ op: '+' as const, line }))];
    }
    keep(d);
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0))) x = v[offset + k + 1] ?? 0;
      else x = (v[offset + k - 1] ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
    v = next;
  }
  // Backtrack from the end.
  const edits: Edit[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0 && (x > 0 || y > 0); d--) {
    const t = trace[d] as { lo: number; arr: Int32Array };
    const at = (i: number): number => t.arr[i - t.lo] ?? 0;
    const k = x - y;
    let prevK: number;
    if (k === -d || (k !== d && at(offset + k - 1) < at(offset + k + 1))) prevK = k + 1;
    else prevK = k - 1;
    const prevX = at(offset + prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      edits.push({ op: ' ', line: a[x - 1] as string });
      x--;
      y--;
    }
    if (d === 0) break;
    if (x === prevX) edits.push({ op: '+', line: b[y - 1] as string });
    else edits.push({ op: '-', line: a[x - 1] as string });
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    edits.push({ op: ' ', line: a[x - 1] as string });
    x--;
    y--;
  }
  return edits.reverse();
}

function lines(s: string): string[] {
  if (s === '') return [];
  const l = s.split('\n');
  if (l.at(-1) === '') l.pop();
  return l;
}

/** UnifiedDiff prints the differences between two texts as unified hunks ('' when equal). */
export function unifiedDiff(before: string, after: string, context = 3): string {
  if (before === after) return '';
  const a = lines(before);
  const b = lines(after);
  if (a.length > MaxDiffLines || b.length > MaxDiffLines) return `@@ too large to diff: ${a.length} lines before, ${b.length} after @@\n`;
  const edits = diffLines(a, b);
  const out: string[] = [];
  let i = 0;
  let ai = 0;
  let bi = 0;
  while (i < edits.length) {
    // Skip to the next change.
    while (i < edits.length && edits[i]?.op === ' ') {
      i++;
      ai++;
      bi++;
    }
    if (i >= edits.length) break;
    const start = Math.max(0, i - context);
    const startA = ai - (i - start);
    const startB = bi - (i - start);
    let end = i;
    let ca = startA;
    let cb = startB;
    // Extend the hunk while changes are within 2*context of each other.
    let j = start;
    let lastChange = i;
    while (j < edits.length && j <= lastChange + context) {
      const e = edits[j] as Edit;
      if (e.op !== ' ') lastChange = j;
      j++;
    }
    end = Math.min(edits.length, lastChange + context + 1);
    const body: string[] = [];
    for (let k = start; k < end; k++) {
      const e = edits[k] as Edit;
      body.push(`${e.op}${e.line}`);
      if (e.op !== '+') ca++;
      if (e.op !== '-') cb++;
    }
    out.push(`@@ -${startA + 1},${ca - startA} +${startB + 1},${cb - startB} @@`, ...body);
    for (let k = i; k < end; k++) {
      const e = edits[k] as Edit;
      if (e.op !== '+') ai++;
      if (e.op !== '-') bi++;
    }
    i = end;
  }
  return `${out.join('\n')}\n`;
}
