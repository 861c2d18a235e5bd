// End-to-end suite (test/e2e): real Chromium against the real renderer and core. Separate from
// vitest.config.ts because it needs a browser and builds the renderer.
import { defineConfig } from 'vitest/config';
import { jsonReport } from './vitest.reporting.ts';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    ...jsonReport('e2e'),
    // One browser and one core per file; running files one at a time keeps the lag figures honest.
    fileParallelism: false,
  },
});
