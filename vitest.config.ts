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
    // s3rver (the tests' S3 server) writes a listing's continuation token with DES, which OpenSSL 3
    // keeps in its legacy provider: without it, listing more than 1,000 keys fails in s3rver.
    poolOptions: { forks: { execArgv: ['--openssl-legacy-provider'] } },
  },
});
