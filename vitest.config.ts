import { defineConfig } from 'vitest/config';

// `npm test`: every *.test.ts except the docs checks (*.docs.test.ts: TypeDoc and the regenerated
// figures, `npm run docs:check`, vitest.docs.config.ts), then the ten slowest files.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', '**/*.docs.test.ts'],
    reporters: ['default', './test/slowest-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
