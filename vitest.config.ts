import { configDefaults, defineConfig } from 'vitest/config';
import { jsonReport } from './vitest.reporting.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The browser suite has its own config (vitest.e2e.config.ts, `npm run test:e2e`).
    exclude: [...configDefaults.exclude, 'test/e2e/**'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    ...jsonReport('unit'),
  },
});
