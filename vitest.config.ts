import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const ROOT = fileURLToPath(new URL('.', import.meta.url));

/** The slow checks of vitest.slow.config.ts (docs:check, test:package, playground:check): not in `npm test`. */
const SLOW_CHECKS = ['**/*.docs.test.ts', '**/*.pack.test.ts', '**/*.browser.test.ts'];
const NOT_TESTS = ['node_modules/**', 'dist/**', 'playground/dist/**'];

/**
 * Test files that change what the whole process sees, or measure it, and so run alone in a fresh process: they
 * register drivers or models (examples, --load, broken copies), or measure their own process's memory. Every
 * other file shares its worker with the files before it (`isolate: false`), so it must leave the registries,
 * globals and environment as it found them.
 */
export const OWN_PROCESS = [
  'test/test-driver.test.ts',
  'test/examples.test.ts',
  'examples/custom-model.test.ts',
  'hw-models/registry.test.ts',
  'cli/exit-codes.test.ts',
  'tap/streaming.test.ts',
  'test/robustness-files.test.ts',
];

// `npm test`: every *.test.ts except the slow checks, then the ten slowest files.
export default defineConfig({
  // `vnic-lab/<sub>` (how examples and drivers outside the repo import the lab) is this checkout's source,
  // the same modules the tests import by path, so a driver registers where the tests look.
  resolve: { alias: [{ find: /^vnic-lab\/([a-z-]+)$/, replacement: `${ROOT}$1/index.ts` }] },
  test: {
    reporters: ['default', './test/slowest-reporter.ts'],
    // dist/ rebuilt if a source changed since the last build: the spawned-bin tests run dist/cli/main.js
    globalSetup: ['./test/built-bin.ts'],
    // every core runs test files: vitest's default (cores - 1) leaves one of two cores idle, and the main
    // process only hands out files and prints.
    pool: 'forks',
    maxWorkers: availableParallelism(),
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        // A worker runs file after file without restarting (a fresh process per file costs ~0.4 CPU-s, and
        // re-importing the lab in each as much again): measured, the suite's CPU time falls by half.
        test: {
          name: 'shared',
          include: ['**/*.test.ts'],
          exclude: [...NOT_TESTS, ...SLOW_CHECKS, ...OWN_PROCESS],
          isolate: false,
          setupFiles: ['./test/support/registries.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'own-process', include: OWN_PROCESS, exclude: NOT_TESTS, isolate: true },
      },
    ],
  },
});
