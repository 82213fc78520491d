/**
 * The convention that makes a Markdown guide executable. An HTML comment on the line right
 * before a fenced block says what the test does with it (readers of the rendered page see none
 * of it):
 *
 * - `<!-- test: run -->` before a ```sh block: run it in the guide's shell session (below); it
 *   must exit 0.
 * - `<!-- test: background; ready=<text>; args=<extra args> -->` before a ```sh block of one
 *   command: start it in the background (the "terminal of its own") and wait until `<text>`
 *   appears on its stdout. `args` are appended to the command: the only liberty the test takes
 *   with the guide, and visible in the guide's source (a private `trellis up` takes `--port 0`
 *   so it never collides with one the developer is running).
 * - `<!-- test: stop -->` on a line of its own (no block): the reader presses Ctrl-C in the
 *   background terminal here; the test sends SIGINT, and the command must exit 0 and leave no
 *   process of its process group behind.
 * - `<!-- test: expect -->` before a ```text block: every non-blank line of it must match, in
 *   order, a line of the stdout of the `run` block before it. Runs of spaces match any
 *   whitespace, so columns need not line up; `…` stands for any text (a standalone `…`: any run
 *   of words, possibly none; inside a word: any non-space characters).
 * - `<!-- test: skip: <reason> -->` before a ```sh block: shown, not run, with the reason.
 *
 * Every ```sh block must carry a marker, so a command added to the guide is never untested by
 * accident. Blocks of other languages without a marker are illustration.
 */

export type Step =
  | { kind: 'run'; line: number; script: string; expect?: string[] }
  | { kind: 'background'; line: number; script: string; ready: string; args: string }
  | { kind: 'stop'; line: number }
  | { kind: 'skip'; line: number; script: string; reason: string };

const marker = /^<!-- test: (.*) -->$/;

/** ParseGuide reads the steps of a guide; it throws naming the line of a block that breaks the convention. */
export function parseGuide(markdown: string, file: string): Step[] {
  const lines = markdown.split('\n');
  const steps: Step[] = [];
  const fail = (i: number, msg: string): never => {
    throw new Error(`${file}:${i + 1}: ${msg}`);
  };
  /** Block reads the fenced block opening at line i: its language, body and the index after it. */
  const block = (i: number): { lang: string; body: string; end: number } => {
    const open = /^```(\S*)\s*$/.exec(lines[i] ?? '');
    if (open === null) return fail(i, 'a test marker must be followed by a fenced block on the next line');
    for (let j = i + 1; j < lines.length; j++) {
      if (lines[j] === '```') return { lang: open[1] ?? '', body: lines.slice(i + 1, j).join('\n'), end: j + 1 };
    }
    return fail(i, 'unterminated fenced block');
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const m = marker.exec(line);
    if (m === null) {
      if (/^```(sh|bash|shell)\s*$/.test(line)) fail(i, 'a shell block without a test marker (see test/docs/guide.ts)');
      if (line.startsWith('```')) i = block(i).end - 1;
      continue;
    }
    const [head = '', ...rest] = (m[1] ?? '').split(';').map((s) => s.trim());
    const opts = Object.fromEntries(
      rest.map((kv) => {
        const eq = kv.indexOf('=');
        if (eq < 0) fail(i, `marker option "${kv}" is not key=value`);
        return [kv.slice(0, eq).trim(), kv.slice(eq + 1).trim()];
      }),
    );
    if (head === 'stop') {
      steps.push({ kind: 'stop', line: i + 1 });
      continue;
    }
    const b = block(i + 1);
    const isShell = ['sh', 'bash', 'shell'].includes(b.lang);
    if (head === 'expect') {
      const prev = steps.at(-1);
      if (prev?.kind !== 'run' || prev.expect !== undefined) fail(i, 'an expect block must follow a run block');
      if (prev?.kind === 'run')
        prev.expect = b.body
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== '');
    } else if (!isShell) {
      fail(i, `a "${head}" marker must be followed by a sh block, not "${b.lang}"`);
    } else if (head === 'run') {
      steps.push({ kind: 'run', line: i + 2, script: b.body });
    } else if (head === 'background') {
      if (opts.ready === undefined) fail(i, 'a background marker needs ready=<text>');
      if (b.body.trim().includes('\n')) fail(i, 'a background block must be one command');
      steps.push({ kind: 'background', line: i + 2, script: b.body.trim(), ready: opts.ready ?? '', args: opts.args ?? '' });
    } else if (head.startsWith('skip:') && head.length > 'skip:'.length) {
      steps.push({ kind: 'skip', line: i + 2, script: b.body, reason: head.slice('skip:'.length).trim() });
    } else {
      fail(i, `unknown test marker "${head}" (want run, background, stop, expect or skip: <reason>)`);
    }
    i = b.end - 1;
  }
  return steps;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** LinePattern turns one expected line into a regular expression (see the convention above). */
export function linePattern(expected: string): RegExp {
  const words = expected.trim().split(/\s+/);
  const src = words
    .map((w, k) => {
      const sep = k === 0 ? '' : w === '…' || words[k - 1] === '…' ? '\\s*' : '\\s+';
      return sep + (w === '…' ? '.*?' : escapeRegExp(w).replace(/…/g, '\\S*'));
    })
    .join('');
  return new RegExp(`^\\s*${src}\\s*$`);
}

/**
 * MissingLines returns the expected lines that do not match, in order, a line of `output`
 * (each expected line consumes the first matching output line after the previous match).
 */
export function missingLines(expected: string[], output: string): string[] {
  const actual = output.split('\n');
  const missing: string[] = [];
  let at = 0;
  for (const e of expected) {
    const re = linePattern(e);
    const k = actual.findIndex((l, idx) => idx >= at && re.test(l));
    if (k < 0) missing.push(e);
    else at = k + 1;
  }
  return missing;
}
