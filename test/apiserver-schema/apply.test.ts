// Differential test: server-side apply sequences (corpus/apply) run step by step on the real
// kube-apiserver and through the apply library. Each library step starts from the real server's
// live object; status, conflict messages and causes, the stored content and managedFields
// (without timestamps) must match.
import { beforeAll, describe, expect, it } from 'vitest';
import { realTarget, uniqueGroup } from '../harness/targets.ts';
import { comparable, mineStep, realStep, type Target, targetFor } from './apply.ts';
import { applySuites } from './corpus.ts';
import { type RawClient, rawClientFor } from './raw.ts';

let client: RawClient;
beforeAll(() => {
  client = rawClientFor(realTarget().kubeconfigPath);
});

describe.each(applySuites())('$file', (suite) => {
  let target: Target;
  beforeAll(async () => {
    target = await targetFor(client, suite, uniqueGroup('apply'));
  });

  it.each(suite.sequences.map((s, i) => ({ ...s, index: i })))('$name', async (seq) => {
    const name = `seq-${seq.index}-${Math.random().toString(36).slice(2, 8)}`;
    let live: Record<string, unknown> | undefined;
    for (const [i, step] of seq.steps.entries()) {
      const real = await realStep(client, target, step, name, live);
      const mine = mineStep(target, step, name, live, real);
      expect(comparable(mine), `step ${i + 1} (${step.manager})`).toEqual(comparable(real));
      if (real.status < 300) live = real.body;
    }
  });
});
