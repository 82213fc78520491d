// Shared settings for the fuzz suites: deterministic seeds and iteration counts, so that a run is
// reproducible and time-boxed by counts (not by the clock, which would make CI flaky on a loaded
// machine). A failure prints fast-check's seed and path; rerun one case with
//   TRELLIS_FUZZ_SEED=<seed> TRELLIS_FUZZ_PATH=<path> npx vitest run test/fuzz/<file>
// Bigger campaigns: TRELLIS_FUZZ_SCALE=20 npx vitest run test/fuzz (20x the iterations).
import { TrellisError } from '@trellis/sdk';
import * as fc from 'fast-check';
import { expect } from 'vitest';

// Test knobs read from the environment; they do not affect any turbo task.
const envVar = (name: string): string | undefined => process.env[name];

/** The fast-check parameters the suites use (assignable to fc.Parameters of any property). */
export interface FuzzParams {
  seed: number;
  numRuns: number;
  path?: string;
  endOnFailure: boolean;
}

/**
 * FuzzParams returns fast-check parameters for one property: a fixed seed per property (so CI is
 * deterministic) unless TRELLIS_FUZZ_SEED overrides it, and `runs` scaled by TRELLIS_FUZZ_SCALE.
 */
export function fuzzParams(seed: number, runs: number): FuzzParams {
  const scale = Number(envVar('TRELLIS_FUZZ_SCALE') ?? '1');
  const s = envVar('TRELLIS_FUZZ_SEED');
  const path = envVar('TRELLIS_FUZZ_PATH');
  return {
    seed: s === undefined ? seed : Number(s),
    numRuns: Math.max(1, Math.round(runs * (Number.isFinite(scale) && scale > 0 ? scale : 1))),
    ...(path === undefined ? {} : { path }),
    endOnFailure: true,
  };
}

/**
 * ExpectCleanFailure checks what a parser threw on bad input: a TrellisError (or a subclass) with
 * a stable SCREAMING_SNAKE code and a one-line message of sane length; never a TypeError,
 * RangeError or other crash from inside the parser.
 */
export function expectCleanFailure(err: unknown, what: string): void {
  if (!(err instanceof TrellisError)) {
    const detail = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
    expect.fail(`${what} crashed instead of failing cleanly: ${detail}`);
  }
  expect(err.code, `${what}: error code`).toMatch(/^[A-Z][A-Z0-9_]*$/);
  expect(err.message.includes('\n'), `${what}: message must be one line: ${JSON.stringify(err.message.slice(0, 300))}`).toBe(false);
  expect(err.message.length, `${what}: message length`).toBeLessThan(4096);
}

/** Outcome runs a parser and returns what it did, checking a failure is clean. */
export function outcome<T>(what: string, fn: () => T): { ok: true; value: T } | { ok: false; code: string } {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    expectCleanFailure(err, what);
    return { ok: false, code: (err as TrellisError).code };
  }
}

/** Mutate applies a few byte-level edits (flip, insert, delete, truncate, splice a chunk) to a buffer. */
export function mutate(buf: Buffer, edits: { kind: number; at: number; byte: number; len: number }[]): Buffer {
  let b = Buffer.from(buf);
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % b.length;
    switch (e.kind % 6) {
      case 0:
        if (b.length > 0) b[at] = e.byte;
        break;
      case 1:
        b = Buffer.concat([b.subarray(0, at), Buffer.from([e.byte]), b.subarray(at)]);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + (e.len % 64)))]);
        break;
      case 3:
        b = b.subarray(0, at);
        break;
      case 4:
        // Duplicate a chunk (repeated headers, repeated keys).
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + 1 + (e.len % 512)), b.subarray(at)]);
        break;
      default:
        if (b.length > 0) b[at] = (b[at] as number) ^ (1 << (e.byte % 8));
    }
  }
  return b;
}

/** EditArb generates the edits `mutate` applies. */
export function editsArb(fcm: typeof fc, max = 6): fc.Arbitrary<{ kind: number; at: number; byte: number; len: number }[]> {
  return fcm.array(fcm.record({ kind: fcm.nat(5), at: fcm.nat(1 << 20), byte: fcm.nat(255), len: fcm.nat(1024) }), {
    minLength: 1,
    maxLength: max,
  });
}

/** Check runs a synchronous property with the given parameters (fails the test on a counterexample). */
export function check<T>(property: fc.IProperty<T>, params: FuzzParams): void {
  // biome-ignore lint/nursery/noFloatingPromises: fc.assert of a synchronous IProperty returns void, not a Promise
  fc.assert(property, params);
}
