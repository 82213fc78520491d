/**
 * Progress for long work. On a terminal a spinner (or a bar, for counted work) redraws one line of
 * stderr in place; anywhere else (CI logs, pipes, files) each task prints plain lines: one when
 * it starts and one when it ends, with its duration. Results never go through here: they belong
 * on stdout, which stays clean for pipes.
 */

/** A Task is one piece of long work shown by a Progress. */
export interface Task {
  /** Update changes the label shown while the task runs. */
  update(label: string): void;
  /** Count records `done` of `total` (a bar on a terminal; plain output ignores it). */
  count(done: number, total: number): void;
  /** Succeed ends the task with ✓ and its duration; `label` replaces the running label. */
  succeed(label?: string): void;
  /** Fail ends the task with ✗ and the reason. */
  fail(reason?: string): void;
}

/** A Progress shows tasks one after another (the CLI runs its long steps in sequence). */
export interface Progress {
  task(label: string): Task;
  /** Run runs `fn` as a task: ✓ when it resolves, ✗ with the error's message when it throws (rethrown). */
  run<T>(label: string, fn: (task: Task) => Promise<T>): Promise<T>;
  /** Line prints a line of text above the running task without disturbing it. */
  line(text: string): void;
  /** Above runs `write` (e.g. a line to stdout) with the spinner line cleared, then redraws it. */
  above(write: () => void): void;
  /** Stop ends any running task as interrupted and restores the cursor; idempotent. */
  stop(): void;
}

export interface ProgressOptions {
  /** Write receives the output (the CLI passes stderr). */
  write(text: string): void;
  /**
   * Slot, when given, is the terminal's status line: the spinner claims it while a task runs so
   * that other writes to stderr (logs) clear the line first and the spinner redraws after them.
   */
  slot?: { owner: { redraw(): void } | undefined; raw(text: string): void };
  /** Tty selects the animated mode. */
  tty: boolean;
  /** Color allows ANSI colours (terminal only; off under NO_COLOR). */
  color?: boolean;
  now?: () => number;
  /** IntervalMs between spinner frames (default 80). */
  intervalMs?: number;
}

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const BarWidth = 20;

/** Seconds formats a duration for humans: `0.4s`, `12s`, `2m05s`. */
export function seconds(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m${String(s).padStart(2, '0')}s`;
}

/** Bar draws `done/total` as `[#####.....] 5/10`. */
export function bar(done: number, total: number, width = BarWidth): string {
  const t = Math.max(total, 1);
  const d = Math.min(Math.max(done, 0), t);
  const filled = Math.round((d / t) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${d}/${total}`;
}

/** NewProgress makes a Progress writing to `opts.write`, animated when `opts.tty`. */
export function newProgress(opts: ProgressOptions): Progress {
  return opts.tty ? new TtyProgress(opts) : new PlainProgress(opts);
}

/** A Progress that shows nothing (for -o json and other machine output). */
export const silentProgress: Progress = {
  task: () => ({ update() {}, count() {}, succeed() {}, fail() {} }),
  run: (_label, fn) => fn({ update() {}, count() {}, succeed() {}, fail() {} }),
  line() {},
  above: (write) => write(),
  stop() {},
};

abstract class BaseProgress implements Progress {
  protected readonly opts: ProgressOptions;
  protected readonly now: () => number;

  constructor(opts: ProgressOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
  }

  abstract task(label: string): Task;
  abstract line(text: string): void;
  abstract stop(): void;

  above(write: () => void): void {
    write();
  }

  async run<T>(label: string, fn: (task: Task) => Promise<T>): Promise<T> {
    const t = this.task(label);
    try {
      const v = await fn(t);
      t.succeed();
      return v;
    } catch (err) {
      t.fail(err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  protected ok(): string {
    return this.opts.color === true ? '\x1b[32m✓\x1b[0m' : '✓';
  }

  protected bad(): string {
    return this.opts.color === true ? '\x1b[31m✗\x1b[0m' : '✗';
  }
}

class PlainProgress extends BaseProgress {
  task(label: string): Task {
    const start = this.now();
    let current = label;
    let ended = false;
    this.opts.write(`- ${label} ...\n`);
    return {
      update: (l) => {
        current = l;
      },
      count: () => {},
      succeed: (l) => {
        if (ended) return;
        ended = true;
        this.opts.write(`${this.ok()} ${l ?? current} (${seconds(this.now() - start)})\n`);
      },
      fail: (reason) => {
        if (ended) return;
        ended = true;
        this.opts.write(`${this.bad()} ${current}${reason === undefined ? '' : `: ${reason}`}\n`);
      },
    };
  }

  line(text: string): void {
    this.opts.write(`${text}\n`);
  }

  stop(): void {}
}

interface Running {
  label: string;
  start: number;
  counted?: { done: number; total: number };
  end(mark: string, text: string): void;
}

class TtyProgress extends BaseProgress {
  private current: Running | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private frame = 0;
  private readonly owner = { redraw: (): void => this.draw() };

  private write(text: string): void {
    if (this.opts.slot === undefined) this.opts.write(text);
    else this.opts.slot.raw(text);
  }

  private claim(on: boolean): void {
    const slot = this.opts.slot;
    if (slot === undefined) return;
    if (on) slot.owner = this.owner;
    else if (slot.owner === this.owner) slot.owner = undefined;
  }

  task(label: string): Task {
    this.current?.end(this.bad(), `${this.current.label}: superseded`);
    const r: Running = {
      label,
      start: this.now(),
      end: (mark, text) => {
        if (this.current !== r) return;
        this.current = undefined;
        this.stopTimer();
        this.claim(false);
        this.write(`\r\x1b[2K${mark} ${text}\n\x1b[?25h`);
      },
    };
    this.current = r;
    this.claim(true);
    this.startTimer();
    this.draw();
    return {
      update: (l) => {
        r.label = l;
        if (this.current === r) this.draw();
      },
      count: (done, total) => {
        r.counted = { done, total };
        if (this.current === r) this.draw();
      },
      succeed: (l) => r.end(this.ok(), `${l ?? r.label} (${seconds(this.now() - r.start)})`),
      fail: (reason) => r.end(this.bad(), `${r.label}${reason === undefined ? '' : `: ${reason}`}`),
    };
  }

  line(text: string): void {
    this.write(`\r\x1b[2K${text}\n`);
    this.draw();
  }

  override above(write: () => void): void {
    if (this.opts.slot !== undefined) {
      write();
      return;
    }
    if (this.current !== undefined) this.write('\r\x1b[2K');
    write();
    this.draw();
  }

  stop(): void {
    this.current?.end(this.bad(), `${this.current.label}: interrupted`);
    this.stopTimer();
  }

  private draw(): void {
    const r = this.current;
    if (r === undefined) return;
    const spin = frames[this.frame % frames.length] ?? '-';
    const counted = r.counted === undefined ? '' : ` ${bar(r.counted.done, r.counted.total)}`;
    const elapsed = this.now() - r.start >= 1000 ? ` (${seconds(this.now() - r.start)})` : '';
    this.write(`\x1b[?25l\r\x1b[2K${spin} ${r.label}${counted}${elapsed}`);
  }

  private startTimer(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.frame++;
      this.draw();
    }, this.opts.intervalMs ?? 80);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** ProgressTarget is what progressFor needs of a command's output. */
export interface ProgressTarget {
  err(text: string): void;
  /** ErrIsTTY reports whether stderr is a terminal. */
  errIsTTY?: boolean;
  statusLine?: ProgressOptions['slot'];
}

/**
 * ProgressFor picks the progress display for a command: nothing when `quiet` (machine output),
 * a spinner when stderr is a terminal (not under `TERM=dumb` or `CI`), plain lines otherwise;
 * colours only on a terminal without `NO_COLOR`.
 */
export function progressFor(io: ProgressTarget, opts: { quiet?: boolean; env?: Record<string, string | undefined> } = {}): Progress {
  if (opts.quiet === true) return silentProgress;
  const env = opts.env ?? process.env;
  const tty = io.errIsTTY === true && env.TERM !== 'dumb' && (env.CI === undefined || env.CI === '' || env.CI === 'false');
  return newProgress({
    write: (t) => io.err(t),
    tty,
    color: tty && (env.NO_COLOR === undefined || env.NO_COLOR === ''),
    ...(io.statusLine === undefined ? {} : { slot: io.statusLine }),
  });
}
