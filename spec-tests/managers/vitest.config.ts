import { defineConfig } from 'vitest/config';
import { summary } from '../../vitest.config.js';

/**
 * The managers' end-to-end suites (`npm run test:e2e`), kept out of `npm test`: they need root,
 * podman, containerd and minutes. One file and one test at a time: the managers share the
 * host's cgroups, mounts and network, and a timing-sensitive scenario must not race another.
 */
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['spec-tests/managers/**/*.e2e.test.ts'],
    globalSetup: ['spec-tests/managers/global-setup.ts'],
    fileParallelism: false,
    sequence: { concurrent: false },
    // Image builds and daemon start-ups happen in hooks; a podman run costs a second or more.
    testTimeout: 180_000,
    hookTimeout: 600_000,
    reporters: ['default', summary],
    // A failure's message becomes its note in docs/compatibility.md: show what was seen, whole.
    chaiConfig: { truncateThreshold: 400 },
  },
});
