import { defineConfig } from 'vitest/config';

// `npm run docs:check` (CI runs it after `npm test`): the checks that regenerate docs, too slow for
// every test run: TypeDoc over the public API, and docs/figures regenerated from lab runs.
export default defineConfig({
  test: {
    include: ['**/*.docs.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    reporters: ['default', './test/slowest-reporter.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
