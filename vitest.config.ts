import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const ROOT = fileURLToPath(new URL('.', import.meta.url));

// `npm test`: every *.test.ts except the slow checks of vitest.slow.config.ts (docs:check, test:package, playground:check),
// then the ten slowest files.
export default defineConfig({
  // `vnic-lab/<sub>` (how examples and drivers outside the repo import the lab) is this checkout's source,
  // the same modules the tests import by path, so a driver registers where the tests look.
  resolve: { alias: [{ find: /^vnic-lab\/([a-z-]+)$/, replacement: `${ROOT}$1/index.ts` }] },
  test: {
    include: ['**/*.test.ts'],
    exclude: [
      'node_modules/**',
      'dist/**',
      'playground/dist/**',
      '**/*.docs.test.ts',
      '**/*.pack.test.ts',
      '**/*.browser.test.ts',
    ],
    reporters: ['default', './test/slowest-reporter.ts'],
    // dist/ rebuilt if a source changed since the last build: the spawned-bin tests run dist/cli/main.js
    globalSetup: ['./test/built-bin.ts'],
    // every core runs test files: vitest's default (cores - 1) leaves one of two cores idle, and the main
    // process only hands out files and prints. Forks, isolated: each file gets a fresh process (module
    // registries start empty; tap/streaming and robustness-files measure their own process's memory).
    pool: 'forks',
    maxWorkers: availableParallelism(),
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
