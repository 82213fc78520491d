import { describe, expect, it } from 'vitest';
import { available, conditionsEqual, reconcileError, reconcileSuccess, setConditions, unavailable } from './index.ts';

describe('setConditions', () => {
  const t0 = new Date('2026-01-01T00:00:00.123Z');
  const t1 = new Date('2026-01-01T00:05:00Z');

  it('keeps lastTransitionTime when the status does not change', () => {
    const first = setConditions([], [unavailable('waiting')], t0);
    const second = setConditions(first, [unavailable('still waiting')], t1);
    expect(second[0]?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(second[0]?.message).toBe('still waiting');
  });

  it('moves lastTransitionTime when the status changes', () => {
    const first = setConditions([], [unavailable()], t0);
    const second = setConditions(first, [available()], t1);
    expect(second[0]?.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
  });

  it('is idempotent, so steady state writes nothing', () => {
    const first = setConditions([], [available(), reconcileSuccess()], t0);
    const second = setConditions(first, [available(), reconcileSuccess()], t1);
    expect(second).toEqual(first);
    expect(conditionsEqual(first, second)).toBe(true);
  });

  it('keeps existing order and appends new types', () => {
    const first = setConditions([], [reconcileSuccess()], t0);
    const second = setConditions(first, [available(), reconcileError('x')], t1);
    expect(second.map((c) => c.type)).toEqual(['Synced', 'Ready']);
  });
});
