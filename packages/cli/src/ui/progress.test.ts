import { describe, expect, it } from 'vitest';
import { bar, newProgress, progressFor, seconds, silentProgress } from './progress.ts';

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('plain progress (CI logs, pipes)', () => {
  it('prints one line when a task starts and one when it ends, with its duration', async () => {
    let out = '';
    const c = clock();
    const p = newProgress({ write: (t) => (out += t), tty: false, now: c.now });
    await p.run('starting the API server', async () => c.advance(1234));
    const t = p.task('installing the demo');
    t.fail('no such package');
    expect(out).toBe(
      '- starting the API server ...\n✓ starting the API server (1.2s)\n- installing the demo ...\n✗ installing the demo: no such package\n',
    );
    expect(out).not.toContain('\x1b');
  });
  it('rethrows what the task threw, after marking it failed', async () => {
    let out = '';
    const p = newProgress({ write: (t) => (out += t), tty: false });
    await expect(p.run('x', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(out).toContain('✗ x: boom');
  });
});

describe('terminal progress', () => {
  it('redraws one line in place and ends it with ✓', () => {
    let out = '';
    const c = clock();
    const p = newProgress({ write: (t) => (out += t), tty: true, now: c.now, intervalMs: 10_000 });
    const t = p.task('pulling');
    t.count(5, 10);
    c.advance(2000);
    t.succeed('pulled 10 packages');
    expect(out).toContain('\r\x1b[2K⠋ pulling [##########..........] 5/10');
    expect(out).toContain('\r\x1b[2K✓ pulled 10 packages (2.0s)\n');
    expect(out.endsWith('\x1b[?25h')).toBe(true);
  });
  it('marks a running task interrupted on stop and shows the cursor again', () => {
    let out = '';
    const p = newProgress({ write: (t) => (out += t), tty: true, intervalMs: 10_000 });
    p.task('waiting');
    p.stop();
    p.stop();
    expect(out).toContain('✗ waiting: interrupted\n\x1b[?25h');
    expect(out.match(/interrupted/g)?.length).toBe(1);
  });
});

describe('progressFor', () => {
  const cases = {
    Terminal: { reason: 'a terminal gets a spinner', tty: true, env: {}, animated: true },
    Pipe: { reason: 'a pipe gets plain lines', tty: false, env: {}, animated: false },
    Ci: { reason: 'CI logs get plain lines even on a pseudo-terminal', tty: true, env: { CI: 'true' }, animated: false },
    Dumb: { reason: 'TERM=dumb gets plain lines', tty: true, env: { TERM: 'dumb' }, animated: false },
  } as const;
  describe.each(Object.entries(cases))('%s', (_name, tc) => {
    it(tc.reason, () => {
      let out = '';
      const p = progressFor({ err: (t) => (out += t), errIsTTY: tc.tty }, { env: tc.env });
      p.task('x').succeed();
      expect(out.includes('\x1b[2K')).toBe(tc.animated);
    });
  });
  it('shows nothing when quiet (machine output)', () => {
    expect(progressFor({ err: () => {} }, { quiet: true })).toBe(silentProgress);
  });
});

describe('formatting', () => {
  it('formats durations and bars', () => {
    expect([seconds(400), seconds(12_300), seconds(125_000)]).toEqual(['0.4s', '12s', '2m05s']);
    expect(bar(3, 4, 4)).toBe('[###.] 3/4');
    expect(bar(9, 0, 4)).toBe('[####] 1/0');
  });
});

describe('terminal progress with a status line', () => {
  it('lets other writers clear the spinner line and redraws it after them', () => {
    let out = '';
    const slot: { owner: { redraw(): void } | undefined; raw(t: string): void } = { owner: undefined, raw: (t) => (out += t) };
    const p = newProgress({ write: (t) => (out += t), tty: true, intervalMs: 10_000, slot });
    const t = p.task('starting');
    expect(slot.owner).toBeDefined();
    out = '';
    // What main's stderr writer does for a log line while the spinner owns the line:
    out += '\r\x1b[2Kinfo something\n';
    slot.owner?.redraw();
    expect(out).toBe('\r\x1b[2Kinfo something\n\x1b[?25l\r\x1b[2K⠋ starting');
    t.succeed();
    expect(slot.owner).toBeUndefined();
  });
});
