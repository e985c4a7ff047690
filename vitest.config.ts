import { writeSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import type { Reporter, TestModule } from 'vitest/node';

/** One plain closing line, `tests: N passed, N failed, N skipped`, that any CI log reader understands. */
const summary: Reporter = {
  onTestRunEnd(modules: ReadonlyArray<TestModule>) {
    const count = { passed: 0, failed: 0, skipped: 0 };
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') count.passed++;
        else if (state === 'failed') count.failed++;
        else count.skipped++;
      }
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) count.failed++;
    }
    // Printed as the process exits, after vitest's own summary, so it is the closing line.
    process.once('exit', () => writeSync(1, `tests: ${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped\n`));
  },
};

export default defineConfig({
  test: {
    include: ['core/**/*.test.ts', 'plugins/**/*.test.ts', 'spec-tests/**/*.test.ts', 'bench/**/*.test.ts'],
    // The manager end-to-end suite starts daemons: `npm run test:e2e` runs it.
    exclude: ['node_modules/**', 'dist/**', '**/*.e2e.test.ts'],
    // Lifecycle and CLI tests spawn real processes; keep their time bounded but not flaky.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', summary],
  },
});
