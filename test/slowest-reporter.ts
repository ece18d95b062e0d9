// A vitest reporter that prints the ten slowest test files after every run (vitest.config.ts adds it
// beside the default one), so the next slowdown of `npm test` is seen when it lands. A file's time is
// its collection (imports) plus its tests and hooks.
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

export default class SlowestFiles implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const rows = modules
      .map((m) => {
        const d = m.diagnostic();
        return { file: relative(process.cwd(), m.moduleId), ms: d.collectDuration + d.duration };
      })
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 10);
    if (rows.length === 0) return;
    const lines = rows.map((r) => `  ${(r.ms / 1000).toFixed(1).padStart(6)} s  ${r.file}`);
    process.stdout.write(`\nSlowest test files (collect + tests):\n${lines.join('\n')}\n`);
  }
}
