import { defineConfig } from 'vitest/config';

// `npm test`: every *.test.ts except the slow checks of vitest.slow.config.ts (docs:check, test:package),
// then the ten slowest files.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', '**/*.docs.test.ts', '**/*.pack.test.ts'],
    reporters: ['default', './test/slowest-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
