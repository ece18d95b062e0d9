import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('.', import.meta.url));

// `npm test`: every *.test.ts except the slow checks of vitest.slow.config.ts (docs:check, test:package),
// then the ten slowest files.
export default defineConfig({
  // `vnic-lab/<sub>` (how examples and drivers outside the repo import the lab) is this checkout's source,
  // the same modules the tests import by path, so a driver registers where the tests look.
  resolve: { alias: [{ find: /^vnic-lab\/([a-z-]+)$/, replacement: `${ROOT}$1/index.ts` }] },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', '**/*.docs.test.ts', '**/*.pack.test.ts'],
    reporters: ['default', './test/slowest-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
