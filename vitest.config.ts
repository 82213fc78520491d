import { defineConfig } from 'vitest/config';

// One `npm test`, no build: the `@trellis/source` condition resolves every sibling
// package to its TypeScript source.
const resolve = { conditions: ['@trellis/source'] };
const ssr = { resolve: { conditions: ['@trellis/source'], externalConditions: ['@trellis/source'] } };

export default defineConfig({
  test: {
    // Integration suites mostly wait on real servers (API servers, registry, PowerDNS, a 10-minute
    // soak), so more files run at once than there are cores; vitest's default on a 2-core machine
    // is one file at a time, which puts the whole suite end to end.
    maxWorkers: 4,
    // Two projects: unit tests next to the code, integration suites under test/.
    projects: [
      {
        resolve,
        ssr,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        resolve,
        ssr,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          pool: 'forks',
        },
      },
    ],
  },
});
