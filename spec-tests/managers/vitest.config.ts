import { defineConfig } from 'vitest/config';

// Stand-in for the shared manager harness's suite config (issue 5); the harness's own replaces it at merge.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['spec-tests/managers/**/*.e2e.test.ts'],
    // Managers start daemons and containers on one host: files run one after another.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
