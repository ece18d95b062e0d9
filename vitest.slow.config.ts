import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('.', import.meta.url));

// The checks too slow for every `npm test`, which CI runs after it:
// - `npm run docs:check` (*.docs.test.ts): TypeDoc over the public API, docs/figures regenerated from lab runs;
// - `npm run test:package` (*.pack.test.ts): the packed tarball installed and used outside the repository;
// - `npm run browser:check` (*.browser.test.ts): our pages in headless Chromium: the playground built and driven,
//   the report page `vnic report --html` writes, and rendered pages with hostile strings.
export default defineConfig({
  // vnic-lab/<sub> is this checkout's source (as in vitest.config.ts)
  resolve: { alias: [{ find: /^vnic-lab\/([a-z-]+)$/, replacement: `${ROOT}$1/index.ts` }] },
  test: {
    include: ['**/*.docs.test.ts', '**/*.pack.test.ts', '**/*.browser.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'playground/dist/**'],
    reporters: ['default', './test/slowest-reporter.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
