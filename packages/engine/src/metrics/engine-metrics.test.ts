import type { CompositionFunction } from '@trellis/functions';
import { describe, expect, it } from 'vitest';
import { instrumentFunction, newEngineMetrics } from './engine-metrics.ts';

describe('instrumentFunction', () => {
  const run: CompositionFunction['run'] = async () => ({ results: [{ severity: 'SEVERITY_FATAL', message: 'no' }] });
  const cases: Record<string, { reason: string; fn: CompositionFunction; pure: boolean }> = {
    Pure: {
      reason: "a pure function's wrapper is pure: render may give it a request whose tag is hashed only if read",
      fn: { run, pure: true },
      pure: true,
    },
    Impure: { reason: 'a function that may change its request (a remote one) gets its tag up front', fn: { run }, pure: false },
  };
  for (const [name, tc] of Object.entries(cases)) {
    it(`${name}: ${tc.reason}`, async () => {
      const metrics = newEngineMetrics();
      const wrapped = instrumentFunction(tc.fn, 'f', metrics);
      expect(wrapped.pure === true).toBe(tc.pure);
      await wrapped.run({});
      expect(metrics.registry.expose()).toMatch(/trellis_function_run_duration_seconds_count\{function="f",result="fatal"\} 1/);
    });
  }
});
