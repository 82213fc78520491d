// Global setup of the integration project: start one shared instance of every API-server target
// (see starters.ts), provide them to the suites as `apiServers`, and stop them in teardown.
// A target whose real part is missing fails the run under CI=true; elsewhere it is reported
// loudly and provided as `apiServersMissing`, so the suites that need it fail with the reason.
import type { TestProject } from 'vitest/node';
import type { ApiServerTarget, MissingTarget, StartedTarget } from './starters.ts';
import { targetStarters } from './starters.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    apiServers: ApiServerTarget[];
    apiServersMissing: MissingTarget[];
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: StartedTarget[] = [];
  const missing: MissingTarget[] = [];
  const stopAll = async (): Promise<void> => {
    for (const s of started.reverse()) await s.stop();
  };
  try {
    for (const starter of targetStarters) {
      const reason = starter.missing();
      if (reason !== undefined) {
        if (process.env.CI === 'true') throw new Error(`API server target "${starter.name}" cannot start under CI=true: ${reason}`);
        console.warn(
          `\n${'!'.repeat(100)}\n!! API server target "${starter.name}" is NOT available: ${reason}\n!! Suites that need it will fail.\n${'!'.repeat(100)}\n`,
        );
        missing.push({ name: starter.name, reason });
        continue;
      }
      const t0 = Date.now();
      started.push(await starter.start());
      console.log(`global setup: API server target "${starter.name}" ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  project.provide(
    'apiServers',
    started.map((s) => s.target),
  );
  project.provide('apiServersMissing', missing);
  return stopAll;
}
