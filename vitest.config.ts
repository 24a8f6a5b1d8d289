import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration suites share real databases and a 2-core machine: keep files sequential-ish.
    fileParallelism: true,
    maxWorkers: 2,
    // Generous: a slow, loaded machine must not turn a correct run into a failure.
    testTimeout: 90_000,
    hookTimeout: 120_000,
    setupFiles: ['test/support/setup.ts'],
  },
});
